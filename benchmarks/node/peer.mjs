// Runs one definition with aws-local-stepfunctions and prints timings as JSON on stdout.
// Input on stdin: {"definition": ..., "input": ..., "runs": N, "seconds": S}.
// Each run is from stateMachine.run() until its result resolves; construction (which validates the
// definition) is timed separately, like sfnsim's compile.
import { StateMachine } from 'aws-local-stepfunctions';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const job = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const built = process.hrtime.bigint();
const machine = new StateMachine(job.definition, { validationOptions: { checkArn: false } });
const compileSeconds = Number(process.hrtime.bigint() - built) / 1e9;

const samples = [];
let output;
const deadline = Date.now() + 1000 * (job.seconds ?? 2);
while (samples.length < (job.maxRuns ?? 50) && (samples.length < (job.runs ?? 3) || Date.now() < deadline)) {
  const input = structuredClone(job.input);
  const started = process.hrtime.bigint();
  output = await machine.run(input).result;
  samples.push(Number(process.hrtime.bigint() - started) / 1e9);
}
samples.sort((a, b) => a - b);
console.log(JSON.stringify({
  compile_seconds: compileSeconds,
  run_seconds: samples[Math.floor(samples.length / 2)],
  runs: samples.length,
  output,
}));
