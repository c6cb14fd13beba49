"""The moto server the e2e tests start: moto's own server (`moto_server`,
pinned in scripts/requirements-test.txt), with two places where moto 5.2.5
departs from AWS, and doorman's behaviour depends on it, brought back in
line. Everything else is moto unchanged.

Layers. A function may run a layer version that another account published and
shared with it (`AddLayerVersionPermission`); AWS resolves the layer ARN in
the account the ARN names and returns that ARN in the function's `Layers`.
moto looks every layer ARN up in the function's own account
(`LambdaFunction._get_layers_data`), so a foreign layer either fails or is
replaced by a same-named layer of the function's account. doorman's
`cross-account-layer` rule is about exactly that case, so the lookup below
resolves each ARN in its own account, as AWS does.

AssumeRole. AWS refuses (AccessDenied) to assume a role that does not
exist; moto assumes any role ARN, which is how it lets a test act in
another account. doorman must turn a member account without its
`doorman-reader` role into an `unprocessable-event`, so the AssumeRole
below is refused when the role is missing, as in AWS, except for
`OrganizationAccountAccessRole`: AWS Organizations creates that role in
every account it creates, and the tests use it, as an administrator
would, to set member accounts up.
"""

import sys

from moto.awslambda import models
from moto.awslambda.exceptions import UnknownLayerVersionException
from moto.iam.models import iam_backends
from moto.server import main
from moto.sts.exceptions import STSClientError
from moto.sts.models import STSBackend

ORGANIZATION_ROLE = "OrganizationAccountAccessRole"


def _get_layers_data(self, layers_versions_arns):
    found = []
    for arn in layers_versions_arns:
        fields = arn.split(":")
        account = fields[4] if len(fields) > 4 and fields[4] else self.account_id
        version = models.lambda_backends[account][self.region].layers_versions_by_arn(arn)
        if version is None:
            raise UnknownLayerVersionException(layers_versions_arns)
        found.append({"Arn": version.arn, "CodeSize": version.code_size})
    return found


models.LambdaFunction._get_layers_data = _get_layers_data

_assume_role = STSBackend.assume_role


def assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs):
    fields = role_arn.split(":")
    account = fields[4] if len(fields) > 5 else ""
    name = fields[5].rsplit("/", 1)[-1] if len(fields) > 5 else ""
    if name != ORGANIZATION_ROLE:
        roles = iam_backends[account]["aws"].roles.values() if account else []
        if not any(role.name == name for role in roles):
            raise STSClientError(
                "AccessDenied",
                f"User: arn:aws:iam::{self.account_id}:user/moto is not authorized "
                f"to perform: sts:AssumeRole on resource: {role_arn}",
            )
    return _assume_role(self, region_name, role_session_name, role_arn, *args, **kwargs)


STSBackend.assume_role = assume_role

if __name__ == "__main__":
    sys.exit(main())
