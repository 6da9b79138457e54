import type { Theme } from 'vitepress';
import DefaultTheme from 'vitepress/theme';
import './custom.css';
import DrawDigit from '../../components/DrawDigit.vue';
import TrainPanel from '../../components/TrainPanel.vue';

export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component('DrawDigit', DrawDigit);
    app.component('TrainPanel', TrainPanel);
  },
} satisfies Theme;
