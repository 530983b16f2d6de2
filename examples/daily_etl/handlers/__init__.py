"""The daily ETL's Lambda handlers, by the function name the state machine invokes them under.

sfnsim finds a handler registered under a Lambda function's name, so a test can pass
``handlers=LAMBDA_FUNCTIONS`` and override single states (by state name) with mocks.
"""

from . import extract, load, transform

LAMBDA_FUNCTIONS = {
    "daily-etl-extract": extract.handler,
    "daily-etl-clean-orders": transform.clean_orders,
    "daily-etl-customer-dim": transform.build_customer_dim,
    "daily-etl-load": load.handler,
}
