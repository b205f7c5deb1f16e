"""The newer models the fake shares with the core (tools/models-src, expanded by
tools/sdk_models.py): Lambda's LoggingConfig is served, X-Ray and CloudTrail requests
route and validate by their models, and the expansion keeps botocore's shape names,
constraints and errors where botocore has them."""

import json
import unittest

import models
import sdk_models
from testlib import KEY, SECRET, FakeTestCase


class Expansion(unittest.TestCase):
    def test_lambda_keeps_botocore_names_and_constraints_and_adds_logging_config(self):
        model, paginators = sdk_models.load('lambda')
        shapes = model['shapes']
        op = model['operations']['GetFunctionConfiguration']
        self.assertEqual(op['input']['shape'], 'GetFunctionConfigurationRequest')
        self.assertEqual(op['output']['shape'], 'FunctionConfiguration')
        members = shapes['FunctionConfiguration']['members']
        self.assertEqual(members['LoggingConfig'], {'shape': 'LoggingConfig'})
        self.assertEqual(sorted(shapes['LoggingConfig']['members']),
                         ['ApplicationLogLevel', 'LogFormat', 'LogGroup', 'SystemLogLevel'])
        self.assertEqual(shapes['MemorySize'], {'type': 'integer', 'min': 128, 'max': 10240})
        self.assertIn({'shape': 'ResourceNotFoundException'}, op['errors'])
        self.assertEqual(shapes['ResourceNotFoundException']['error']['httpStatusCode'], 404)
        self.assertIn('ListFunctions', paginators)

    def test_expansion_is_deterministic(self):
        a = json.dumps(sdk_models.load('cloudtrail')[0], sort_keys=True)
        b = json.dumps(sdk_models.load('cloudtrail')[0], sort_keys=True)
        self.assertEqual(a, b)

    def test_inlined_shapes_get_names_from_their_place(self):
        minified = {'metadata': {'apiVersion': '1', 'protocol': 'json'},
                    'operations': {'GetThing': {'input': {
                        'type': 'structure', 'required': ['Id'],
                        'members': {'Id': {}, 'Tags': {'type': 'list', 'member': {}},
                                    'Size': {'type': 'integer', 'locationName': 'size'}}}}},
                    'shapes': {}}
        out = sdk_models.expand(minified)
        op = out['operations']['GetThing']
        self.assertEqual(op['http'], {'method': 'POST', 'requestUri': '/'})
        req = out['shapes'][op['input']['shape']]
        self.assertEqual(op['input']['shape'], 'GetThingRequest')
        self.assertEqual(req['members']['Size'], {'shape': 'Size', 'locationName': 'size'})
        self.assertEqual(out['shapes']['Tags']['member'], {'shape': 'TagsMember'})
        self.assertEqual(out['shapes']['Id'], {'type': 'string'})


class Served(FakeTestCase):
    world = {'credentials': [{'access_key_id': KEY, 'secret_access_key': SECRET}],
             'lambda': {'functions': {'orders-api': {'configuration': {
                 'LoggingConfig': {'LogFormat': 'JSON', 'LogGroup': '/custom/orders',
                                   'ApplicationLogLevel': 'INFO', 'SystemLogLevel': 'WARN'}}}}}}

    def test_get_function_configuration_serves_logging_config(self):
        resp = self.raw('GET', '/2015-03-31/functions/orders-api/configuration',
                        sign={'service': 'lambda'})
        self.assertEqual(resp.status, 200, resp.text)
        self.assertEqual(resp.json()['LoggingConfig']['LogGroup'], '/custom/orders')
        self.assertEqual(resp.json()['LoggingConfig']['LogFormat'], 'JSON')

    def test_xray_routes_and_validates_by_its_model(self):
        resp = self.raw('POST', '/TraceSummaries', body=b'{"EndTime": 1}',
                        headers={'Content-Type': 'application/json'},
                        sign={'service': 'xray'})
        self.assertEqual(resp.status, 400, resp.text)
        self.assertIn('startTime', resp.text)
        self.assertEqual(resp.headers['x-amzn-ErrorType'].split(':')[0],
                         'InvalidRequestException')

    def test_cloudtrail_routes_and_validates_by_its_model(self):
        target = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents'
        resp = self.raw('POST', '/', body=b'{"MaxResults": "ten"}',
                        headers={'Content-Type': 'application/x-amz-json-1.1',
                                 'X-Amz-Target': target},
                        sign={'service': 'cloudtrail'})
        self.assertEqual(resp.status, 400, resp.text)
        self.assertEqual(resp.json()['__type'], 'ValidationException')
        self.assertIn("'maxResults'", resp.text)

    def test_the_fake_serves_both_signing_names(self):
        self.assertEqual(models.SIGNING_NAMES['xray'], 'xray')
        self.assertEqual(models.SIGNING_NAMES['cloudtrail'], 'cloudtrail')


if __name__ == '__main__':
    unittest.main()
