import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedDataset } from '@mnist-cnn/mnist-data/node';
import { type BackendInfo, describeBackend, type EpochEvent, evaluate, type TrainEvent } from '@mnist-cnn/trainer';
import { checkpointFileName, directoryCheckpointStore, startWorkerThreads, train } from '@mnist-cnn/trainer/node';
import { startBackend } from './backend-setup.js';
import type { CommandContext } from './cli.js';
import { describeSource, loadCliDataset } from './dataset-source.js';
import { programName, type trainDefinition } from './definitions.js';
import { CliError, ExitCode, signalExitCode, UsageError } from './errors.js';
import { evaluationRecord, evaluationReport } from './evaluation-output.js';
import { formatCount, formatDuration, formatPercent } from './format.js';
import { saveCliModel } from './model-files.js';
import type { OptionValues } from './option-types.js';
import { lockOutDirectory } from './out-lock.js';
import { withRecipeDefaults } from './recipe-defaults.js';
import type { Renderer } from './renderer.js';
import { type EpochHistoryEntry, writeReport } from './report.js';
import { workerCount } from './workers.js';

type TrainValues = OptionValues<typeof trainDefinition.options>;

/**
 * `mnist-cnn train`: trains, evaluates on the test split, saves the model; Ctrl-C (SIGTERM, SIGHUP) checkpoints and exits
 * 130 (143, 129). One run at a time per `--out`: a lock file in it names the run that holds it.
 */
export async function runTrain(values: TrainValues, context: CommandContext): Promise<number> {
  if (values.restoreBest && values.patience === undefined) {
    throw new UsageError('--restore-best needs --patience', 'add --patience <epochs> to turn on early stopping');
  }
  const saves = !values.noSave && !values.dryRun;
  if (values.resume && !saves) {
    throw new UsageError(
      `--resume cannot be combined with ${values.dryRun ? '--dry-run' : '--no-save'}`,
      'a resumed run goes on writing its checkpoint and model to --out',
    );
  }
  const settings = withRecipeDefaults(values);
  const store = saves ? directoryCheckpointStore(values.out) : undefined;
  const checkpointPath = join(values.out, checkpointFileName);
  if (values.resume && !(await exists(checkpointPath))) {
    throw new CliError('TRAINING_FAILED', `no checkpoint to resume from in ${values.out}`, {
      hint: 'run without --resume to start a new run, or pass the --out directory of the interrupted run',
    });
  }
  // Only a run that writes to --out takes its lock (a --dry-run or --no-save run leaves the directory alone).
  const releaseLock = saves ? await lockOutDirectory(values.out) : () => {};
  try {
    return await trainLocked(values, settings, context, store, checkpointPath);
  } finally {
    releaseLock();
  }
}

async function trainLocked(
  values: TrainValues,
  settings: ReturnType<typeof withRecipeDefaults>,
  context: CommandContext,
  store: ReturnType<typeof directoryCheckpointStore> | undefined,
  checkpointPath: string,
): Promise<number> {
  const { renderer, interrupt } = context;
  const saves = store !== undefined;
  const backend = await startBackend(values.backend);
  const workers = workerCount(values.workers, settings.batchSize, (message) => renderer.warn(message));
  // The worker threads load tfjs and start their backends while this thread reads the dataset; train takes them.
  startWorkerThreads(workers - 1);
  const dataset = await loadCliDataset(values, renderer);
  const history: EpochHistoryEntry[] = [];
  // A dry run trains on one batch and measures one test batch, as PyTorch's MNIST example does with --dry-run.
  const limit = values.dryRun ? Math.min(values.limit ?? settings.batchSize, settings.batchSize) : values.limit;
  interrupt.graceful = true;
  const result = await train({
    model: values.preset,
    train: dataset.train,
    dataset: { name: dataset.name, source: describeSource(dataset) },
    ...settings,
    epochs: values.dryRun ? 1 : settings.epochs,
    workers,
    seed: values.seed,
    ...(limit === undefined ? {} : { limit }),
    validationSplit: values.validationSplit,
    ...(values.patience === undefined
      ? {}
      : { earlyStopping: { patience: values.patience, restoreBestWeights: values.restoreBest ?? false } }),
    signal: interrupt.signal,
    ...(store === undefined ? {} : { checkpoint: store }),
    resume: values.resume,
    onEvent: (event) =>
      onTrainEvent(event, {
        renderer,
        dataset,
        values,
        backend,
        workers,
        history,
        verbose: context.verbose,
        quiet: values.quiet && renderer.mode !== 'json',
      }),
  }).finally(() => {
    interrupt.graceful = false;
    renderer.endProgress();
  });

  if (result.stopReason === 'aborted') {
    result.model.dispose();
    if (store === undefined) {
      renderer.record({ type: 'interrupted', epochsCompleted: result.epochsCompleted });
      context.io.stderr.write(
        `${programName}: interrupted; nothing saved (${values.dryRun ? '--dry-run' : '--no-save'})\n`,
      );
      return signalExitCode(interrupt.signal.reason);
    }
    const resume = resumeCommand(context.argv);
    const where = result.checkpointPath ?? checkpointPath;
    renderer.record({
      type: 'interrupted',
      epochsCompleted: result.epochsCompleted,
      checkpoint: where,
      resumeCommand: resume,
    });
    const signal = interrupt.signal.reason;
    const how = typeof signal === 'string' && signal !== 'SIGINT' ? `stopped by ${signal}` : 'interrupted';
    context.io.stderr.write(`${programName}: ${how}; checkpoint saved to ${where}\nresume with: ${resume}\n`);
    return signalExitCode(signal);
  }

  const evaluation = evaluate(result.model, dataset.test, {
    batchSize: values.testBatchSize,
    ...(values.dryRun ? { limit: values.testBatchSize } : {}),
  });
  if (saves) {
    await saveCliModel(result.model, values.out);
    await rm(checkpointPath, { force: true });
  }
  const summary = {
    type: 'summary',
    testAccuracy: evaluation.accuracy,
    testLoss: evaluation.loss,
    testCount: evaluation.count,
    epochs: result.epochsCompleted,
    stopReason: result.stopReason,
    ...(result.restoredBestEpoch === undefined ? {} : { restoredBestEpoch: result.restoredBestEpoch }),
    trainCount: result.trainCount,
    durationMs: result.durationMs,
    imagesPerSecond: result.imagesPerSecond,
    backend: backend.backend,
    simd: backend.simd,
    kernelBuild: backend.kernelBuild,
    ...(saves ? { modelPath: values.out } : {}),
    saved: saves,
    ...(values.dryRun ? { dryRun: true } : {}),
    ...(values.report === undefined ? {} : { report: values.report }),
  };
  if (values.report !== undefined) {
    await writeReport(values.report, {
      title: `mnist-cnn training: ${values.preset} on ${dataset.name}`,
      facts: [
        ['model', saves ? `${values.preset} → ${values.out}` : `${values.preset} (not saved)`],
        ['dataset', `${describeSource(dataset)}; trained on ${formatCount(result.trainCount)} images`],
        ['test accuracy', formatPercent(evaluation.accuracy)],
        ['epochs', String(result.epochsCompleted)],
        ['duration', formatDuration(result.durationMs / 1000)],
        ['throughput', `${formatCount(result.imagesPerSecond)} images/s`],
        ['backend', describeBackend(backend)],
      ],
      history,
      ...evaluationReport(evaluation, dataset.test, dataset.classNames),
    });
  }
  renderer.record({ ...summary, evaluation: evaluationRecord(evaluation) }, [
    `test accuracy: ${renderer.style.bold(renderer.style.green(formatPercent(evaluation.accuracy)))} on ${formatCount(evaluation.count)} test images (loss ${evaluation.loss.toFixed(4)})`,
    `trained ${result.epochsCompleted} epoch${result.epochsCompleted === 1 ? '' : 's'} on ${formatCount(result.trainCount)} images in ${formatDuration(result.durationMs / 1000)} (${formatCount(result.imagesPerSecond)} images/s)`,
    ...(result.restoredBestEpoch === undefined
      ? []
      : [`kept the weights of epoch ${result.restoredBestEpoch}, the best one`]),
    saves ? `model saved to ${values.out}` : `model not saved (${values.dryRun ? 'dry run' : '--no-save'})`,
    ...(values.report === undefined ? [] : [`report written to ${values.report}`]),
  ]);
  result.model.dispose();
  return ExitCode.ok;
}

interface EventScope {
  workers: number;
  renderer: Renderer;
  dataset: LoadedDataset;
  values: TrainValues;
  backend: BackendInfo;
  history: EpochHistoryEntry[];
  verbose: boolean;
  /** --quiet on text output: keep the history for the report, show nothing until the result. */
  quiet: boolean;
}

function onTrainEvent(event: TrainEvent, scope: EventScope): void {
  const { renderer } = scope;
  if (event.type === 'epoch') scope.history.push(historyEntry(event));
  if (scope.quiet) return;
  switch (event.type) {
    case 'start':
      renderer.record(
        {
          type: 'start',
          dataset: scope.dataset.name,
          source: scope.dataset.source.kind,
          preset: scope.values.preset,
          backend: event.backend,
          kernelBuild: scope.backend.kernelBuild,
          workers: scope.workers,
          epochs: event.epochs,
          batches: event.batches,
          trainCount: event.trainCount,
          validationCount: event.validationCount,
          resumed: event.resumed,
          startEpoch: event.startEpoch,
        },
        [
          `data: ${describeSource(scope.dataset)}`,
          `backend: ${describeBackend(scope.backend)}, ${scope.workers} worker thread${scope.workers === 1 ? '' : 's'}`,
          `training ${scope.values.preset} on ${formatCount(event.trainCount)} images${event.validationCount > 0 ? ` (+${formatCount(event.validationCount)} for validation)` : ''}, ${event.epochs} epoch${event.epochs === 1 ? '' : 's'} of ${formatCount(event.batches)} batches`,
          ...(event.resumed ? [`resuming at epoch ${event.startEpoch}, batch ${event.startBatch}`] : []),
        ],
      );
      return;
    case 'batch':
      renderer.progress(event, scope.values.logInterval);
      return;
    case 'epoch':
      renderer.record({ ...event }, [epochLine(event, renderer)]);
      return;
    case 'checkpoint':
      if (scope.verbose || renderer.mode === 'json')
        renderer.record({ ...event }, [
          renderer.style.dim(`checkpoint (${event.reason}) written to ${event.path ?? 'the store'}`),
        ]);
      return;
    case 'early-stop':
      renderer.record({ ...event }, [
        `early stop after epoch ${event.epoch}: ${event.monitor} has not improved since epoch ${event.bestEpoch}`,
      ]);
      return;
  }
}

function historyEntry(event: EpochEvent): EpochHistoryEntry {
  return {
    epoch: event.epoch,
    loss: event.loss,
    accuracy: event.accuracy,
    valLoss: event.valLoss,
    valAccuracy: event.valAccuracy,
  };
}

function epochLine(event: EpochEvent, renderer: Renderer): string {
  const validation =
    event.valLoss === undefined
      ? ''
      : `  val loss ${event.valLoss.toFixed(4)}  val acc ${formatPercent(event.valAccuracy ?? 0)}`;
  return `${renderer.style.bold(`epoch ${event.epoch}/${event.epochs}`)}  loss ${event.loss.toFixed(4)}  acc ${formatPercent(event.accuracy)}${validation}  ${formatDuration(event.durationMs / 1000)}  ${formatCount(event.imagesPerSecond)} img/s`;
}

/** The command that continues an interrupted run: the same arguments plus `--resume`. */
export function resumeCommand(argv: readonly string[]): string {
  const args = argv.filter((arg) => arg !== '--resume').map(shellQuote);
  return [programName, ...args, '--resume'].join(' ');
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
