"""Task integrations sent to an AWS API (moto in-process) with run(aws=...).

Expected values come from AWS: the executions recorded on AWS in the conformance corpus (error
names, cause texts, response shapes) and the "Handling errors in SDK integrations" rule of the
Step Functions developer guide. moto's own gaps (messages it words differently, fields it omits) are
named where a test steps around them.
"""

from __future__ import annotations

import json
import re
import sys

import pytest
from corpus import conformance_case

from sfnsim import StateMachine
from sfnsim.conformance.placeholders import Matcher
from sfnsim.errors import HandlerError
from sfnsim.tasks.aws_backend import AwsBackend
from sfnsim.tasks.aws_sdk_names import pascal_case, sdk_error_name

moto = pytest.importorskip("moto")

BACKEND = AwsBackend.from_option("moto")
assert BACKEND is not None


@pytest.fixture
def aws():
    """moto for one test; the workflow's calls join it, so the test sees what the workflow did."""
    with moto.mock_aws():
        yield BACKEND


def make_table(name: str) -> None:
    BACKEND.client("dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def run_case(id_part: str, **options):
    case = conformance_case(id_part)
    machine = StateMachine.from_dict(case["definition"])
    return case, machine.run(case["input"], aws="moto", **options)


def task_events(execution) -> list[dict]:
    return [e for e in execution.history if e["type"].startswith("Task") and "State" not in e["type"]]


# -- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("service_id", "client_name"), [
    ("ACM PCA", "AcmPca"),  # the guide's example: AcmPca.ResourceNotFoundException
    ("DynamoDB", "DynamoDb"), ("S3", "S3"), ("Secrets Manager", "SecretsManager"),  # recorded on AWS
    ("SFN", "Sfn"), ("CloudWatch Logs", "CloudWatchLogs"), ("EC2", "Ec2"),
])
def test_service_names_are_the_sdk_client_names(service_id, client_name):
    assert pascal_case(service_id) == client_name


def test_error_names_follow_the_documented_rule():
    assert sdk_error_name("ACM PCA", "ResourceNotFoundException") == "AcmPca.ResourceNotFoundException"
    # S3's BucketAlreadyExists has no suffix in the API reference; Step Functions adds it.
    assert sdk_error_name("S3", "BucketAlreadyExists") == "S3.BucketAlreadyExistsException"
    # An error the service model does not declare: the service's base exception, as recorded.
    assert sdk_error_name("DynamoDB", None) == "DynamoDb.DynamoDbException"


# -- aws-sdk integrations, against AWS's recordings ----------------------------------------------------
def test_sdk_put_and_delete_item_return_the_api_response(aws):
    make_table("sfn_test_table_de5cc4b7")
    case, ex = run_case("TestTaskServiceAwsSdk::test_dynamodb_put_delete_item")
    assert ex.status == "SUCCEEDED"
    assert Matcher(case.get("placeholders")).mismatch(case["expected"]["output"], ex.output) is None
    scheduled = [e["taskScheduledEventDetails"] for e in ex.history if e["type"] == "TaskScheduled"]
    assert scheduled[0]["parameters"] == {"TableName": "sfn_test_table_de5cc4b7",
                                          "Item": {"data": {"S": "HelloWorld"}, "id": {"S": "id1"}}}
    assert scheduled[0]["resourceType"] == "aws-sdk:dynamodb" and scheduled[0]["resource"] == "putItem"
    item = BACKEND.client("dynamodb").get_item(TableName="sfn_test_table_de5cc4b7", Key={"id": {"S": "id1"}})
    assert "Item" not in item  # deleted by the second state


@pytest.mark.parametrize("id_part", [
    "TestAwsSdk::test_dynamodb_put_item_no_such_table",
    "TestAwsSdk::test_dynamodb_invalid_param",
])
def test_sdk_errors_are_named_and_worded_as_on_aws(aws, id_part):
    make_table("some_other_table")
    case, ex = run_case(id_part)
    matcher = Matcher(case.get("placeholders"))
    assert ex.status == "FAILED"
    assert ex.error == case["expected"]["error"]
    assert matcher.mismatch(case["expected"]["cause"], ex.cause) is None, ex.cause


def test_sdk_s3_error_is_caught_by_its_name(aws):
    case, ex = run_case("TestAwsSdk::test_no_such_bucket")
    assert ex.status == "SUCCEEDED"
    assert Matcher(case.get("placeholders")).mismatch(case["expected"]["output"], ex.output) is None


def test_sdk_s3_put_object_sends_json_as_its_text(aws):
    BACKEND.client("s3").create_bucket(Bucket="bucket-name")
    case, ex = run_case("TestTaskServiceAwsSdk::test_s3_put_object[dict]")
    expected = case["expected"]["output"]
    assert ex.status == "SUCCEEDED"
    # The ETag and checksum AWS recorded are those of the compact JSON text of {"Dict": "Value"}.
    assert ex.output["ETag"] == expected["ETag"]
    assert ex.output["ChecksumCRC32"] == expected["ChecksumCRC32"]
    body = BACKEND.client("s3").get_object(Bucket="bucket-name", Key="file-key")["Body"].read()
    assert json.loads(body) == {"Dict": "Value"}


def test_sdk_s3_get_object_reads_the_body_as_text(aws):
    case, ex = run_case("TestTaskServiceAwsSdk::test_s3_get_object[str]",
                        s3_objects={("bucket-name", "file_key"): "text data"})
    expected = case["expected"]["output"]
    assert ex.status == "SUCCEEDED"
    # moto does not report ServerSideEncryption (AWS encrypts every object with AES256 by default).
    expected.pop("ServerSideEncryption")
    ex.output.pop("ServerSideEncryption", None)
    assert Matcher().mismatch(expected, ex.output) is None, ex.output


# -- optimised integrations -----------------------------------------------------------------------
def test_dynamodb_optimised_put_and_get_item(aws):
    make_table("table-name")
    case, ex = run_case("TestTaskServiceDynamoDB::test_base_integrations[DYNAMODB_PUT_GET_ITEM]")
    expected = case["expected"]["output"]
    assert ex.status == "SUCCEEDED"
    assert ex.output["getItemOutput"]["Item"] == expected["getItemOutput"]["Item"]  # typed values, as AWS returns
    for result in ("putItemOutput", "getItemOutput"):
        metadata = ex.output[result]["SdkHttpMetadata"]
        assert set(ex.output[result]) == set(expected[result])
        assert set(metadata) == {"AllHttpHeaders", "HttpHeaders", "HttpStatusCode"}
        assert metadata["HttpStatusCode"] == 200
        assert metadata["HttpHeaders"]["Content-Type"] == "application/x-amz-json-1.0"
        assert metadata["AllHttpHeaders"]["Content-Type"] == ["application/x-amz-json-1.0"]
        assert ex.output[result]["SdkResponseMetadata"]["RequestId"] == metadata["HttpHeaders"]["x-amzn-RequestId"]


def test_dynamodb_optimised_condition_failure_uses_the_java_1_sdk_names(aws):
    make_table("status")
    BACKEND.client("dynamodb").put_item(TableName="status", Item={"id": {"S": "run-1"}})
    sm = StateMachine.from_dict({"StartAt": "Claim", "States": {"Claim": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True,
        "Parameters": {"TableName": "status", "Item": {"id": {"S": "run-1"}},
                       "ConditionExpression": "attribute_not_exists(id)"}}}})
    ex = sm.run({}, aws="moto")
    assert ex.error == "DynamoDB.ConditionalCheckFailedException"
    assert re.fullmatch(r"The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; "
                        r"Error Code: ConditionalCheckFailedException; Request ID: \S+; Proxy: null\)", ex.cause)


def test_sqs_send_message_response_and_the_message_sent(aws):
    url = BACKEND.client("sqs").create_queue(QueueName="queue-72da85af")["QueueUrl"]
    case = conformance_case("TestTaskServiceSqs::test_send_message_attributes")
    case["input"]["QueueUrl"] = url
    ex = StateMachine.from_dict(case["definition"]).run(case["input"], aws="moto")
    assert ex.status == "SUCCEEDED"
    assert set(ex.output) == set(case["expected"]["output"])
    message = BACKEND.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert message["MessageId"] == ex.output["MessageId"]
    assert message["Body"] == "test_message_body"
    assert message["MessageAttributes"]["my_attribute_no_1"]["StringValue"] == "Hello"


def test_sns_publish_and_missing_topic(aws):
    arn = BACKEND.client("sns").create_topic(Name="topic_a4592f29")["TopicArn"]
    case = conformance_case("TestTaskServiceSns::test_publish_base[HelloWorld]")
    machine = StateMachine.from_dict(case["definition"])
    ex = machine.run({**case["input"], "TopicArn": arn}, aws="moto")
    assert ex.status == "SUCCEEDED"
    assert set(ex.output) == set(case["expected"]["output"])
    missing = machine.run({**case["input"], "TopicArn": arn + "-gone"}, aws="moto")
    assert missing.error == "SNS.NotFoundException"  # as recorded; moto words the message its own way
    assert re.fullmatch(r".+ \(Service: AmazonSNS; Status Code: 404; Error Code: NotFound; Request ID: \S+; "
                        r"Proxy: null\)", missing.cause)


def test_events_put_events_serialises_detail(aws):
    case, ex = run_case("TestTaskServiceEvents::test_put_events_base")
    assert ex.status == "SUCCEEDED"
    assert Matcher(case.get("placeholders")).mismatch(case["expected"]["output"], ex.output) is None


def test_wait_for_task_token_sends_then_waits_for_the_callback(aws):
    url = BACKEND.client("sqs").create_queue(QueueName="callbacks")["QueueUrl"]
    sm = StateMachine.from_dict({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}}}})
    ex = sm.start({}, aws="moto")
    assert ex.status == "RUNNING"
    body = json.loads(BACKEND.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert body["token"] == ex.pending_tokens[0]
    ex.send_task_success(body["token"], {"approved": True})
    assert ex.status == "SUCCEEDED" and ex.output == {"approved": True}
    submitted = [e for e in ex.history if e["type"] == "TaskSubmitted"][0]["taskSubmittedEventDetails"]
    assert "MessageId" in submitted["output"]


# -- handlers and mocks still win; what the backend covers ---------------------------------------------
def test_a_handler_wins_over_the_backend(aws):
    sm = StateMachine.from_dict({"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
        "Parameters": {"Bucket": "no-such-bucket", "Key": "k"}}}})
    ex = sm.run({}, handlers={"Get": lambda payload: {"Body": "from the handler"}}, aws="moto")
    assert ex.output == {"Body": "from the handler"}


def test_per_service_backends_leave_other_services_to_handlers():
    sm = StateMachine.from_dict({"StartAt": "Put", "States": {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True,
        "Parameters": {"TableName": "t", "Item": {}}}}})
    with pytest.raises(HandlerError, match="(?s)has no handler.*the aws= backend serves s3, not this resource"):
        sm.run({}, aws={"s3": "moto"})


def test_lambda_stays_with_python_handlers(aws):
    sm = StateMachine.from_dict({"StartAt": "Fn", "States": {"Fn": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "work", "Payload": {"n": 1}}, "OutputPath": "$.Payload"}}})
    ex = sm.run({}, handlers={"work": lambda event: {"doubled": event["n"] * 2}}, aws="moto")
    assert ex.output == {"doubled": 2}
    with pytest.raises(HandlerError, match="has no handler"):
        sm.run({}, aws="moto")


# -- bad set-ups get clear errors -----------------------------------------------------------------
def test_an_unknown_backend_is_named():
    sm = StateMachine.from_dict({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(HandlerError, match="'motto' is not an AWS backend; use 'moto', 'endpoint=URL'"):
        sm.run({}, aws="motto")


def test_moto_missing_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "moto", None)
    sm = StateMachine.from_dict({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(HandlerError, match=re.escape("sfnsim's aws extra: pip install '.[aws]'")):
        sm.run({}, aws="moto")


def test_an_unknown_action_suggests_the_right_one(aws):
    sm = StateMachine.from_dict({"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObjekt", "End": True,
        "Parameters": {"Bucket": "b", "Key": "k"}}}})
    with pytest.raises(HandlerError, match="S3 has no action 'getObjekt' \\(did you mean 'getObject'\\?\\)"):
        sm.run({}, aws="moto")


def test_an_operation_moto_lacks_is_named_with_a_handler_hint(aws):
    sm = StateMachine.from_dict({"StartAt": "Insights", "States": {"Insights": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:dynamodb:describeContributorInsights",
        "End": True, "Parameters": {"TableName": "t"}}}})
    with pytest.raises(HandlerError, match="moto \\(in-process\\) does not implement DynamoDB "
                                           "DescribeContributorInsights.*handlers=\\{'Insights': ...\\}"):
        sm.run({}, aws="moto")


# -- Map S3, callbacks, .sync, endpoints, the CLI and the fixture ------------------------------------
DISTRIBUTED_MAP = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "End": True,
    "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                   "Parameters": {"Bucket": "data", "Key": "items.json"}},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Double",
                      "States": {"Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"},
                                            "End": True}}},
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "data", "Prefix": "out"}}}}}


def test_item_reader_and_result_writer_use_the_backends_s3(aws):
    s3 = BACKEND.client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="items.json", Body=b'[{"n": 1}, {"n": 2}]')
    ex = StateMachine.from_dict(DISTRIBUTED_MAP).run({}, aws="moto")
    assert ex.status == "SUCCEEDED"
    manifest = json.loads(s3.get_object(Bucket="data", Key=ex.output["ResultWriterDetails"]["Key"])["Body"].read())
    [written] = manifest["ResultFiles"]["SUCCEEDED"]
    results = json.loads(s3.get_object(Bucket="data", Key=written["Key"])["Body"].read())
    assert [json.loads(r["Output"]) for r in results] == [{"n": 2}, {"n": 4}]
    assert ex.s3_objects == {}  # S3 lived in moto, not in the in-memory mapping


def test_item_reader_reports_a_missing_object_as_aws_does(aws):
    BACKEND.client("s3").create_bucket(Bucket="data")
    ex = StateMachine.from_dict(DISTRIBUTED_MAP).run({}, aws="moto")
    assert ex.error == "States.ItemReaderFailed"
    assert ex.cause.endswith("The specified key does not exist. (Service: S3, Status Code: 404, Key: items.json)")


def test_glue_start_job_run_sync_returns_the_finished_job_run(aws):
    BACKEND.client("glue").create_job(Name="nightly", Role="glue-role",
                                      Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/nightly.py"})
    sm = StateMachine.from_dict({"StartAt": "Job", "States": {"Job": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync", "End": True,
        "Parameters": {"JobName": "nightly"}}}})
    ex = sm.run({}, aws="moto")
    assert ex.status == "SUCCEEDED"
    assert ex.output["JobName"] == "nightly" and ex.output["JobRunState"] == "SUCCEEDED"
    submitted = [e for e in ex.history if e["type"] == "TaskSubmitted"][0]["taskSubmittedEventDetails"]["output"]
    assert submitted["JobRunId"] == ex.output["Id"]


def test_an_unreachable_endpoint_is_an_sdk_client_exception():
    # As recorded on AWS when the SQS endpoint could not be reached: SQS.SdkClientException.
    sm = StateMachine.from_dict({"StartAt": "Send", "States": {"Send": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
        "Parameters": {"QueueUrl": "http://127.0.0.1:9/queue", "MessageBody": "hello"}}}})
    ex = sm.run({}, aws="endpoint=http://127.0.0.1:9")
    assert ex.error == "SQS.SdkClientException"
    assert ex.cause.startswith("Unable to execute HTTP request: ")


def _bucket_count_definition(folder):
    definition = folder / "sm.asl.json"
    definition.write_text(json.dumps({"StartAt": "Buckets", "States": {"Buckets": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "End": True,
        "ResultSelector": {"count.$": "States.ArrayLength($.Buckets)"}}}}))
    return definition


def test_cli_run_with_aws_moto(tmp_path):
    from click.testing import CliRunner

    from sfnsim.cli import main

    definition = _bucket_count_definition(tmp_path)
    result = CliRunner().invoke(main, ["run", str(definition), "--aws", "moto", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["output"] == {"count": 0}
    bad = CliRunner().invoke(main, ["run", str(definition), "--aws", "localstack"])
    assert bad.exit_code == 2 and "--aws: 'localstack' is not an AWS backend" in bad.output


def test_cli_walk_with_aws_moto(tmp_path):
    from click.testing import CliRunner

    from sfnsim.cli import main

    definition = _bucket_count_definition(tmp_path)
    result = CliRunner().invoke(main, ["walk", str(definition), "--aws", "moto", "--json"])
    assert result.exit_code == 0, result.output
    (visit,) = json.loads(result.output)["steps"]
    stages = {stage["stage"]: stage["value"] for stage in visit["stages"]}
    assert stages["afterResultSelector"] == {"count": 0}
    markdown = CliRunner().invoke(main, ["walk", str(definition), "--aws", "moto", "--markdown", "-"])
    assert "--aws moto" in markdown.output  # the recorded command reproduces the run
    bad = CliRunner().invoke(main, ["walk", str(definition), "--aws", "localstack"])
    assert bad.exit_code == 2 and "--aws: 'localstack' is not an AWS backend" in bad.output


def test_the_fixture_option_starts_moto_for_the_test(sfn):
    backend = sfn.use_aws("moto")
    backend.client("s3").create_bucket(Bucket="made-by-the-test")
    sm = sfn.load({"StartAt": "List", "States": {"List": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "End": True,
        "OutputPath": "$.Buckets[*].Name"}}})
    assert sm.run({}).output == ["made-by-the-test"]


def test_lambda_goes_to_an_endpoint_only_when_named():
    """The endpoint's answers are stubbed (botocore's Stubber); what is checked is what sfnsim sends
    and how it shapes the Invoke response and a function error."""
    import io

    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    endpoint = "endpoint=http://127.0.0.1:9"
    client = AwsBackend.from_option({"lambda": endpoint}).client("lambda")
    sm = StateMachine.from_dict({"StartAt": "Fn", "States": {"Fn": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": "work", "Payload": {"n": 2}}}}})

    def answer(body: bytes, **extra):
        return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body)), **extra}

    with Stubber(client) as stub:
        stub.add_response("invoke", answer(b'{"doubled": 4}'), {"FunctionName": "work", "Payload": '{"n":2}'})
        ex = sm.run({}, aws={"lambda": endpoint})
        assert ex.output["Payload"] == {"doubled": 4} and ex.output["StatusCode"] == 200
        failure = b'{"errorMessage": "boom", "errorType": "ValueError"}'
        stub.add_response("invoke", answer(failure, FunctionError="Unhandled"),
                          {"FunctionName": "work", "Payload": '{"n":2}'})
        failed = sm.run({}, aws={"lambda": endpoint})
        assert failed.error == "ValueError" and failed.cause == failure.decode()


@pytest.mark.parametrize("id_part", [
    "TestTaskServiceAwsSdk::test_sfn_start_execution::",
    "TestTaskServiceAwsSdk::test_sfn_start_execution_implicit_json_serialisation",
])
def test_sdk_parameters_and_results_are_pascal_case_for_a_camel_case_api(aws, id_part):
    # Step Functions' own API names its members stateMachineArn, executionArn, startDate.
    arn = BACKEND.client("stepfunctions").create_state_machine(
        name="target", roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    case = conformance_case(id_part)
    definition = json.loads(json.dumps(case["definition"]).replace(
        "arn:aws:states:us-east-1:111111111111:stateMachine:statemachine_create_and_record_execution_5327c74f", arn))
    ex = StateMachine.from_dict(definition).run({**case["input"], "StateMachineArn": arn}, aws="moto")
    assert ex.status == "SUCCEEDED", ex.cause
    assert Matcher(case.get("placeholders")).mismatch(case["expected"]["output"], ex.output) is None, ex.output
    [started] = BACKEND.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]
    assert started["executionArn"] == ex.output["ExecutionArn"]
    if "implicit" in id_part:  # the JSON object given for Input was sent as its text
        described = BACKEND.client("stepfunctions").describe_execution(executionArn=started["executionArn"])
        assert json.loads(described["input"]) == {"key": "value"}


def test_a_parameter_the_api_does_not_take_is_named(aws):
    sm = StateMachine.from_dict({"StartAt": "Get", "States": {"Get": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True,
        "Parameters": {"Bucket": "b", "Key": "k", "Bukket": "b"}}}})
    with pytest.raises(HandlerError, match="'Get': .* does not take these parameters: .*\"Bukket\", must be one of"):
        sm.run({}, aws="moto")


def test_a_missing_profile_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    sm = StateMachine.from_dict({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(HandlerError, match="aws: cannot use AWS profile 'nightly'"):
        sm.run({}, aws="profile=nightly")


def test_a_boto3_session_is_used_as_given(aws):
    import boto3

    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    session.client("sqs").create_queue(QueueName="jobs")
    sm = StateMachine.from_dict({"StartAt": "Queues", "States": {"Queues": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues", "End": True}}})
    ex = sm.run({}, aws={"sqs": session})
    assert [url.rsplit("/", 1)[-1] for url in ex.output["QueueUrls"]] == ["jobs"]


pytest_plugins = ["pytester"]


def test_sfnsim_aws_option_gives_every_sfn_test_the_backend(pytester):
    # In-process pytester runs drop the modules they import: load moto's S3 out here first.
    with moto.mock_aws():
        BACKEND.client("s3").list_buckets()
    pytester.makepyfile(test_buckets="""
        import boto3

        def test_lists_the_bucket_the_test_made(sfn):
            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="made-here")
            sm = sfn.load({"StartAt": "List", "States": {"List": {
                "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listBuckets", "End": True,
                "OutputPath": "$.Buckets[*].Name"}}})
            assert sm.run({}).output == ["made-here"]
    """)
    # Without hypothesis's plugin, which an in-process run would import again (seconds).
    quiet = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
    pytester.runpytest("--sfnsim-aws=moto", *quiet).assert_outcomes(passed=1)
    bad = pytester.runpytest("--sfnsim-aws=motto", *quiet)
    bad.assert_outcomes(errors=1)
    bad.stdout.fnmatch_lines(["*sfn.use_aws('motto'): aws: 'motto' is not an AWS backend*"])


def test_an_execution_of_its_own_runs_moto_only_while_it_advances():
    from moto.core.models import MockAWS

    sm = StateMachine.from_dict({"StartAt": "CreateQueue", "States": {
        "CreateQueue": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:createQueue",
                        "Parameters": {"QueueName": "approvals"}, "Next": "Ask"},
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl.$": "$.QueueUrl", "MessageBody.$": "$$.Task.Token"},
                "ResultPath": "$.approval", "Next": "Read"},
        "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                 "Parameters": {"Bucket": "seeded", "Key": "note.txt"}, "OutputPath": "$.Body", "End": True}}})
    assert MockAWS._nested_count == 0
    ex = sm.start({}, aws="moto", s3_objects={("seeded", "note.txt"): "approved by the test"})
    assert ex.status == "RUNNING"
    assert MockAWS._nested_count == 0  # not patched while the test has control
    ex.send_task_success(ex.pending_tokens[0], {"ok": True})
    # Resumed: the bucket it was given at the start is still there.
    assert ex.status == "SUCCEEDED" and ex.output == "approved by the test"
    assert MockAWS._nested_count == 0
