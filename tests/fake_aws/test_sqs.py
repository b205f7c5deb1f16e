"""The fake's SQS: GetQueueAttributes as SQS serves it (strings, RedrivePolicy as JSON
text, flattened <Attribute> entries), through botocore's own parser."""

import json
import unittest

from testlib import ACCOUNT, KEY, SECRET, ClientError, FakeTestCase


class QueueAttributes(FakeTestCase):
    world = {'credentials': [{'access_key_id': KEY, 'secret_access_key': SECRET}],
             'sqs': {'queues': {
                 'orders': {'Attributes': {'VisibilityTimeout': 20,
                                           'ApproximateNumberOfMessages': 1200,
                                           'RedrivePolicy': {'deadLetterTargetArn':
                                                             'arn:aws:sqs:us-east-1:%s:orders-dlq'
                                                             % ACCOUNT,
                                                             'maxReceiveCount': 5}}},
                 'plain': {}}}}

    def url(self, name):
        return 'https://sqs.us-east-1.amazonaws.com/%s/%s' % (ACCOUNT, name)

    def test_all_attributes_as_strings_with_redrive_policy_as_json_text(self):
        out = self.client('sqs').get_queue_attributes(QueueUrl=self.url('orders'),
                                                      AttributeNames=['All'])['Attributes']
        self.assertEqual(out['VisibilityTimeout'], '20')
        self.assertEqual(out['ApproximateNumberOfMessages'], '1200')
        self.assertEqual(out['QueueArn'], 'arn:aws:sqs:us-east-1:%s:orders' % ACCOUNT)
        self.assertEqual(json.loads(out['RedrivePolicy'])['maxReceiveCount'], 5)

    def test_named_attributes_only_and_defaults(self):
        out = self.client('sqs').get_queue_attributes(
            QueueUrl=self.url('plain'), AttributeNames=['VisibilityTimeout', 'RedrivePolicy'])
        self.assertEqual(out['Attributes'], {'VisibilityTimeout': '30'})

    def test_unknown_queue_is_sqs_non_existent_queue(self):
        with self.assertRaises(ClientError) as cm:
            self.client('sqs').get_queue_attributes(QueueUrl=self.url('nope'),
                                                    AttributeNames=['All'])
        self.assertEqual(cm.exception.response['Error']['Code'],
                         'AWS.SimpleQueueService.NonExistentQueue')

    def test_set_queue_attributes_changes_what_the_next_read_shows(self):
        sqs = self.client('sqs')
        sqs.set_queue_attributes(QueueUrl=self.url('plain'), Attributes={'VisibilityTimeout': '90'})
        out = sqs.get_queue_attributes(QueueUrl=self.url('plain'),
                                       AttributeNames=['VisibilityTimeout'])
        self.assertEqual(out['Attributes'], {'VisibilityTimeout': '90'})
        with self.assertRaises(ClientError) as cm:
            sqs.set_queue_attributes(QueueUrl=self.url('plain'),
                                     Attributes={'ApproximateNumberOfMessages': '0'})
        self.assertEqual(cm.exception.response['Error']['Code'], 'InvalidAttributeName')

    def test_get_queue_url(self):
        out = self.client('sqs').get_queue_url(QueueName='orders')
        self.assertEqual(out['QueueUrl'], self.url('orders'))


if __name__ == '__main__':
    unittest.main()
