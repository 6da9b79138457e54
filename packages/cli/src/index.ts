/**
 * @mnist-cnn/cli — the `mnist-cnn` command. The binary is `dist/bin.js`; this entry exposes the pieces other tools
 * reuse: the command table, the generated CLI reference, in-process running, renderers and image preparation.
 */

export type { CommandContext, InterruptControl, RunCliOptions } from './cli.js';
export { cliVersion, runCli } from './cli.js';
export {
  benchDefinition,
  commandDefinitions,
  evaluateDefinition,
  globalOptions,
  infoDefinition,
  predictDefinition,
  programName,
  showDefinition,
  trainDefinition,
} from './definitions.js';
export { besideText, renderDigit } from './digit-art.js';
export { toCliError } from './error-report.js';
export type { CliErrorCode } from './errors.js';
export { CliError, ExitCode, UsageError } from './errors.js';
export { exitCodeRows } from './exit-codes.js';
export { renderCommandHelp, renderRootHelp } from './help.js';
export type { ImageFormat, LuminanceImage } from './image-decode.js';
export { decodeImage, ImageDecodeError, sniffImageFormat } from './image-decode.js';
export type { CliIo, OutputStream } from './io.js';
export { colorEnabled, memoryIo, processIo } from './io.js';
export type {
  ArgumentDefinition,
  BooleanOption,
  ChoiceOption,
  CommandDefinition,
  IntegerOption,
  NumberOption,
  OptionDefinition,
  OptionTable,
  OptionValues,
  StringOption,
} from './option-types.js';
export { describeConstraint, flagName, flagSignature } from './option-types.js';
export type { ParsedCommandLine } from './parse-args.js';
export { parseCommandLine, validateOptions } from './parse-args.js';
export type { GrayImage } from './pgm.js';
export { encodePgm, PgmFormatError, parsePgm } from './pgm.js';
export type { CliReferenceOptions } from './reference.js';
export { optionTable, renderCliReference } from './reference.js';
export type { JsonRecord, OutputMode, ProgressState, Renderer } from './renderer.js';
export { chooseOutputMode, createRenderer, progressBar, progressLine } from './renderer.js';
export type { ClassMetrics, EpochHistoryEntry, MisclassifiedDigit, ReportInput } from './report.js';
export { pngDataUrl, renderReport, writeReport } from './report.js';
export type { Style } from './style.js';
export { createStyle } from './style.js';
