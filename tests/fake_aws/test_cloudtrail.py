"""The fake's CloudTrail: LookupEvents as CloudTrail serves it (versioned Lambda event
names, CloudTrailEvent JSON, one lookup attribute, newest first, 50 a page, NextToken,
IAM events in us-east-1), through botocore's own parser."""

import datetime
import json
import unittest

from testlib import ACCOUNT, KEY, SECRET, ClientError, FakeTestCase

CI = 'arn:aws:sts::%s:assumed-role/deploy/ci' % ACCOUNT


def events(n):
    return [{'EventName': 'AddPermission', 'EventTime': '-%dm' % (10 + i), 'user_arn': CI,
             'requestParameters': {'functionName': 'many', 'statementId': 's%d' % i}}
            for i in range(n)]


class LookupEvents(FakeTestCase):
    world = {'credentials': [{'access_key_id': KEY, 'secret_access_key': SECRET}],
             'cloudtrail': {'events': [
                 {'EventName': 'UpdateFunctionCode', 'EventTime': '-30m', 'user_arn': CI,
                  'requestParameters': {'functionName': 'checkout'},
                  'responseElements': {'codeSha256': 'NEW='}},
                 {'EventName': 'PublishVersion', 'EventTime': '-29m', 'user_arn': CI,
                  'requestParameters': {'functionName': 'checkout'},
                  'responseElements': {'version': '42'}},
                 {'EventName': 'PutRolePolicy', 'EventTime': '-2h',
                  'requestParameters': {'roleName': 'checkout-role', 'policyName': 'p'}},
                 {'EventName': 'UpdateFunctionConfiguration', 'EventTime': '+1h',
                  'requestParameters': {'functionName': 'checkout'}},
             ] + events(60)}}

    def lookup(self, name, **extra):
        return self.client('cloudtrail').lookup_events(
            LookupAttributes=[{'AttributeKey': 'ResourceName', 'AttributeValue': name}],
            **extra)

    def test_lambda_event_names_carry_the_api_version_newest_first(self):
        out = self.lookup('checkout')['Events']
        self.assertEqual([e['EventName'] for e in out],
                         ['PublishVersion20150331', 'UpdateFunctionCode20150331v2'])
        doc = json.loads(out[1]['CloudTrailEvent'])
        self.assertEqual(doc['eventName'], 'UpdateFunctionCode20150331v2')
        self.assertEqual(doc['userIdentity']['arn'], CI)
        self.assertEqual(doc['responseElements'], {'codeSha256': 'NEW='})
        self.assertEqual(doc['eventSource'], 'lambda.amazonaws.com')
        self.assertEqual(out[1]['Resources'],
                         [{'ResourceType': 'AWS::Lambda::Function', 'ResourceName': 'checkout'}])
        self.assertEqual(out[1]['Username'], 'ci')

    def test_iam_events_are_plain_names_in_us_east_1(self):
        out = self.lookup('checkout-role')['Events']
        self.assertEqual([e['EventName'] for e in out], ['PutRolePolicy'])
        self.assertEqual(json.loads(out[0]['CloudTrailEvent'])['awsRegion'], 'us-east-1')

    def test_pages_of_50_with_next_token(self):
        first = self.lookup('many')
        self.assertEqual(len(first['Events']), 50)
        second = self.lookup('many', NextToken=first['NextToken'])
        self.assertEqual(len(second['Events']), 10)
        self.assertNotIn('NextToken', second)

    def test_time_range_filters(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        out = self.lookup('checkout', StartTime=now - datetime.timedelta(minutes=29, seconds=30),
                          EndTime=now)['Events']
        self.assertEqual([e['EventName'] for e in out], ['PublishVersion20150331'])

    def test_one_lookup_attribute_per_call(self):
        with self.assertRaises(ClientError) as cm:
            self.client('cloudtrail').lookup_events(LookupAttributes=[
                {'AttributeKey': 'ResourceName', 'AttributeValue': 'a'},
                {'AttributeKey': 'EventName', 'AttributeValue': 'b'}])
        self.assertEqual(cm.exception.response['Error']['Code'],
                         'InvalidLookupAttributesException')


if __name__ == '__main__':
    unittest.main()
