"""The pipeline's Lambda functions: plain Python, ``handler(event, context)``, using boto3 as deployed.

On AWS each module is its own function; in tests sfnsim calls them in-process, and their boto3
calls reach the same AWS as the workflow's own service calls (moto, or an endpoint).
"""

from functions import extract, split, summarise

# Function name (as in the state machine's FunctionName) -> handler.
LAMBDA_FUNCTIONS = {
    "order-reports-extract": extract.handler,
    "order-reports-split": split.handler,
    "order-reports-summarise": summarise.handler,
}
