// Starts worker threads that nothing takes, then ends its work. The process must then exit by itself: a waiting
// thread that kept it alive would make the test time out.
const [entry] = process.argv.slice(2);
const { initBackend, startWorkerThreads } = await import(entry);
await initBackend('cpu');
startWorkerThreads(2);
console.log('started');
