"""The moto server the e2e tests start: moto's own server (`moto_server`,
pinned in scripts/requirements-test.txt), with one place where moto 5.2.5
departs from AWS brought back in line.

A function may run a layer version that another account published and
shared with it (`AddLayerVersionPermission`); AWS resolves the layer ARN in
the account the ARN names and returns that ARN in the function's `Layers`.
moto looks every layer ARN up in the function's own account
(`LambdaFunction._get_layers_data`), so a foreign layer either fails or is
replaced by a same-named layer of the function's account. doorman's
`cross-account-layer` rule is about exactly that case, so the lookup below
resolves each ARN in its own account, as AWS does; everything else is moto
unchanged.
"""

import sys

from moto.awslambda import models
from moto.awslambda.exceptions import UnknownLayerVersionException
from moto.server import main


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

if __name__ == "__main__":
    sys.exit(main())
