// Drives a `sfnsim serve` endpoint with the AWS SDK for JavaScript v3, unmodified: only the
// endpoint differs from talking to AWS. Prints one JSON object with what it saw; the Python test
// (tests/test_server_js.py) checks it. Usage: node drive.mjs http://127.0.0.1:PORT
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand,
  GetExecutionHistoryCommand, SendTaskSuccessCommand, StartSyncExecutionCommand, TestStateCommand,
  ExecutionDoesNotExist, paginateGetExecutionHistory,
} from "@aws-sdk/client-sfn";

const sfn = new SFNClient({
  endpoint: process.argv[2],
  region: "us-east-1",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  disableHostPrefix: true, // TestState and StartSyncExecution would otherwise go to sync-<host>
  maxAttempts: 1,
});
const role = "arn:aws:iam::123456789012:role/StepFunctionsRole";
const seen = {};

const waitThenAsk = {
  StartAt: "Sleep",
  States: {
    Sleep: { Type: "Wait", Seconds: 3600, Next: "Ask" },
    Ask: {
      Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      Parameters: { QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/q", MessageBody: { "token.$": "$$.Task.Token" } },
      End: true,
    },
  },
};
const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({
  name: "js-orders", definition: JSON.stringify(waitThenAsk), roleArn: role,
}));
const { executionArn, startDate } = await sfn.send(new StartExecutionCommand({
  stateMachineArn, name: "js-run", input: JSON.stringify({ id: 1 }),
}));
seen.executionArn = executionArn;
seen.startDateIsDate = startDate instanceof Date;
seen.statusBefore = (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status;

const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
const scheduled = history.events.find((e) => e.type === "TaskScheduled");
const token = JSON.parse(scheduled.taskScheduledEventDetails.parameters).MessageBody.token;
await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
seen.statusAfter = done.status;
seen.output = JSON.parse(done.output);

const types = [];
for await (const page of paginateGetExecutionHistory({ client: sfn, pageSize: 3 }, { executionArn })) {
  types.push(...page.events.map((e) => e.type));
}
seen.historyTypes = types;
const waitEvents = history.events.filter((e) => e.type.startsWith("WaitState"));
seen.waitSeconds = (waitEvents[1].timestamp - waitEvents[0].timestamp) / 1000;

try {
  await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn + "-missing" }));
  seen.missing = "no error";
} catch (error) {
  seen.missing = error instanceof ExecutionDoesNotExist ? error.name : `untyped ${error.name}`;
  seen.missingStatus = error.$metadata.httpStatusCode;
}

const express = await sfn.send(new CreateStateMachineCommand({
  name: "js-express", type: "EXPRESS", roleArn: role,
  definition: JSON.stringify({ StartAt: "P", States: { P: { Type: "Pass", Result: { ok: 1 }, End: true } } }),
}));
const sync = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: "{}" }));
seen.sync = { status: sync.status, output: JSON.parse(sync.output) };

const tested = await sfn.send(new TestStateCommand({
  definition: JSON.stringify({ Type: "Pass", Parameters: { "doubled.$": "States.MathAdd($.n, $.n)" }, Next: "After" }),
  input: JSON.stringify({ n: 21 }), inspectionLevel: "DEBUG",
}));
seen.testState = { status: tested.status, nextState: tested.nextState, output: JSON.parse(tested.output),
                   afterParameters: JSON.parse(tested.inspectionData.afterParameters) };

console.log(JSON.stringify(seen));
