import { type DefaultTreeAdapterMap, parse } from 'parse5';
import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import { type ReportInput, renderReport } from '../report.js';
import { mnistTestDigits } from './fixtures.js';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

function elements(node: Node, predicate: (element: Element) => boolean, found: Element[] = []): Element[] {
  if ('tagName' in node && predicate(node)) found.push(node);
  const children = 'childNodes' in node ? node.childNodes : [];
  for (const child of children) elements(child, predicate, found);
  if ('content' in node && node.content) elements(node.content as Node, predicate, found);
  return found;
}

const attr = (element: Element, name: string) => element.attrs.find((a) => a.name === name)?.value;

function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

const { images, labels } = mnistTestDigits(6);
const confusion = Array.from({ length: 10 }, (_, row) =>
  Array.from({ length: 10 }, (_, column) => (row === column ? 90 + row : row === 3 && column === 5 ? 7 : 0)),
);
const input: ReportInput = {
  title: 'Run <1> & "friends"',
  facts: [
    ['model', './m'],
    ['test accuracy', '97.00%'],
  ],
  history: [
    { epoch: 1, loss: 0.5, accuracy: 0.85, valLoss: 0.4, valAccuracy: 0.88 },
    { epoch: 2, loss: 0.2, accuracy: 0.94, valLoss: 0.25, valAccuracy: 0.93 },
    { epoch: 3, loss: 0.1, accuracy: 0.97, valLoss: 0.2, valAccuracy: 0.95 },
  ],
  evaluation: {
    accuracy: 0.97,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    confusionMatrix: confusion,
    perClass: confusion.map(() => ({ precision: 0.9, recall: 0.95, f1: 0.92, support: 100 })),
  },
  misclassified: images.map((pixels, i) => ({
    index: i * 10,
    label: labels[i]!,
    predicted: (labels[i]! + 1) % 10,
    pixels,
    rows: 28,
    cols: 28,
  })),
  misclassifiedTotal: 42,
};

describe('renderReport', () => {
  const html = renderReport(input);
  const document = parse(html);

  it('is a self-contained page: no scripts and no external resources', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(elements(document, (e) => e.tagName === 'script')).toHaveLength(0);
    expect(elements(document, (e) => e.tagName === 'link')).toHaveLength(0);
    for (const element of elements(document, (e) => attr(e, 'src') !== undefined)) {
      expect(attr(element, 'src')).toMatch(/^data:image\/png;base64,/);
    }
    expect(textOf(elements(document, (e) => e.tagName === 'title')[0]!)).toBe('Run <1> & "friends"');
  });

  it('draws loss and accuracy per epoch, one point per epoch and series', () => {
    for (const [chart, train, validation] of [
      ['loss-chart', [0.5, 0.2, 0.1], [0.4, 0.25, 0.2]],
      ['accuracy-chart', [0.85, 0.94, 0.97], [0.88, 0.93, 0.95]],
    ] as const) {
      const svg = elements(document, (e) => e.tagName === 'svg' && attr(e, 'data-chart') === chart)[0]!;
      expect(svg).toBeDefined();
      const series = (name: string) =>
        elements(elements(svg, (e) => attr(e, 'data-series') === name)[0]!, (e) => e.tagName === 'circle').map((c) => ({
          x: Number(attr(c, 'data-x')),
          y: Number(attr(c, 'data-y')),
        }));
      expect(series('train')).toEqual(train.map((y, i) => ({ x: i + 1, y })));
      expect(series('validation')).toEqual(validation.map((y, i) => ({ x: i + 1, y })));
      expect(elements(svg, (e) => e.tagName === 'polyline')).toHaveLength(2);
    }
  });

  it('draws the confusion matrix as a 10×10 heat map carrying the counts', () => {
    const svg = elements(document, (e) => attr(e, 'data-chart') === 'confusion-matrix')[0]!;
    const cells = elements(svg, (e) => attr(e, 'data-count') !== undefined);
    expect(cells).toHaveLength(100);
    for (const cell of cells) {
      const row = Number(attr(cell, 'data-true'));
      const column = Number(attr(cell, 'data-predicted'));
      expect(Number(attr(cell, 'data-count'))).toBe(confusion[row]![column]);
      expect(elements(cell, (e) => e.tagName === 'rect')).toHaveLength(1);
    }
  });

  it('shows each misclassified digit as a 28×28 PNG with its true and predicted label', () => {
    const figures = elements(document, (e) => e.tagName === 'figure');
    expect(figures).toHaveLength(images.length);
    figures.forEach((figure, i) => {
      expect(Number(attr(figure, 'data-true'))).toBe(labels[i]);
      expect(Number(attr(figure, 'data-predicted'))).toBe((labels[i]! + 1) % 10);
      const img = elements(figure, (e) => e.tagName === 'img')[0]!;
      expect(attr(img, 'alt')).toBe(`true ${labels[i]}, predicted ${(labels[i]! + 1) % 10}`);
      const png = pngjs.PNG.sync.read(Buffer.from(attr(img, 'src')!.split(',')[1]!, 'base64'));
      expect([png.width, png.height]).toEqual([28, 28]);
      const gray = Uint8Array.from({ length: 784 }, (_, p) => png.data[4 * p]!);
      expect(gray).toEqual(images[i]);
      expect(textOf(figure)).toContain(`${labels[i]} → ${(labels[i]! + 1) % 10}`);
    });
    expect(textOf(elements(document, (e) => attr(e, 'id') === 'misclassified')[0]!)).toContain('first 6 of 42');
  });

  it('leaves out sections it has no data for', () => {
    const bare = parse(renderReport({ title: 't', facts: [] }));
    expect(elements(bare, (e) => e.tagName === 'svg')).toHaveLength(0);
    expect(elements(bare, (e) => e.tagName === 'section')).toHaveLength(0);
  });
});
