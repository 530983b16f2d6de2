"""Which page of the AWS Step Functions Developer Guide explains each field a learner edits.

Every page name here was checked against AWS's documentation (docs.aws.amazon.com/step-functions/
latest/dg/); ``sfnsim.i18n.aws_docs_url`` makes the full address, in Chinese where AWS has it.
"""

from __future__ import annotations

from sfnsim.i18n import aws_docs_url

FIELD_PAGES: dict[str, str] = {
    "InputPath": "input-output-inputpath-params.html#input-output-inputpath",
    "Parameters": "input-output-inputpath-params.html#input-output-parameters",
    "ResultSelector": "input-output-inputpath-params.html",
    "ResultPath": "input-output-resultpath.html",
    "OutputPath": "input-output-example.html",
    "Intrinsic functions": "intrinsic-functions.html",
    "Choice": "state-choice.html",
    "Choices": "state-choice.html",
    "Default": "state-choice.html",
    "Wait": "state-wait.html",
    "Seconds": "state-wait.html",
    "SecondsPath": "state-wait.html",
    "Timestamp": "state-wait.html",
    "TimestampPath": "state-wait.html",
    "Retry": "concepts-error-handling.html",
    "Catch": "concepts-error-handling.html",
    "Map": "state-map.html",
    "ItemsPath": "input-output-itemspath.html",
    "ItemSelector": "input-output-itemselector.html",
    "ItemReader": "input-output-itemreader.html",
    "Parallel": "state-parallel.html",
    "Branches": "state-parallel.html",
    "Pass": "state-pass.html",
    "Result": "state-pass.html",
    "Task": "state-task.html",
    "Resource": "connect-to-resource.html",
    "waitForTaskToken": "connect-to-resource.html",
    "Arguments": "transforming-data.html",
    "Output": "transforming-data.html",
    "Assign": "workflow-variables.html",
    "Variables": "workflow-variables.html",
    "Next": "concepts-amazon-states-language.html",
}

# The inspection stage a field produces (AWS TestState's names) -> that field.
STAGE_FIELDS: dict[str, str] = {
    "afterInputPath": "InputPath",
    "afterParameters": "Parameters",
    "afterArguments": "Arguments",
    "afterResultSelector": "ResultSelector",
    "afterResultPath": "ResultPath",
    "afterOutputPath": "OutputPath",
    "output": "Output",
    "variables": "Assign",
}


def docs_url(field: str | None) -> str | None:
    """The documentation page for ``field``, or ``None`` when there is no page for it."""
    page = FIELD_PAGES.get(field or "")
    return aws_docs_url(page) if page else None
