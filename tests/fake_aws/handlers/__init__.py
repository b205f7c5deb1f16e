"""Registry of the fake's operation handlers, one module per service.

Exists so the dispatcher finds a handler by (service, operation) and so each module
can fill in its world defaults once at load (prepare). Operations that are valid in
the model but have no handler here answer with the service's unknown-operation error
naming the operation (dispatch.not_implemented), never with an empty output.
"""

from handlers import (svc_apigateway, svc_cloudtrail, svc_cloudwatch, svc_ec2, svc_iam,
                      svc_lambda, svc_lambda_more, svc_lambda_publish, svc_logs, svc_sqs,
                      svc_sts, svc_xray)
from handlers.common import Ctx  # noqa: F401  (re-exported for the dispatcher)

# Order matters for prepare(): EC2 first (Lambda VPC configs read subnets), then
# Lambda functions before their aliases/versions (which svc_lambda_publish freezes).
MODULES = (svc_ec2, svc_lambda, svc_lambda_more, svc_lambda_publish, svc_iam, svc_sts,
           svc_logs, svc_cloudwatch, svc_cloudtrail, svc_apigateway, svc_sqs,
           svc_xray)

HANDLERS = {}
for _module in MODULES:
    HANDLERS.update(_module.HANDLERS)


def prepare(world):
    """Fill every service's defaults into a freshly loaded world."""
    for module in MODULES:
        module.prepare(world)


def lookup(service, operation):
    return HANDLERS.get((service, operation))
