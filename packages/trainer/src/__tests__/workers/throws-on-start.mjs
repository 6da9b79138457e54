// A stand-in training worker whose start-up throws (an uncaught error in the thread).
throw new Error('no backend for you');
