/* model.h — the AWS service models compiled into the binary (core/models/<service>.json).
 *
 * A model is parsed from its embedded JSON the first time a service is named and cached
 * for the process; every pointer handed out (strings, cJSON nodes, rb_model) is owned by
 * the cache and stays valid until rb_model_free_all(). The cache is not thread-safe: use
 * it from the thread that runs the event loop.
 *
 * The compact format is described at the top of tools/gen_models.py. Shapes are exposed
 * as the cJSON objects of that format: {"type", "members": {Name: REF}, "required",
 * "payload", "member": REF, "key": REF, "value": REF, ...}, where REF = {"shape": Name,
 * "location", "locationName", "queryName", "flattened", "jsonvalue", "timestampFormat"}.
 *
 * Service names are the endpoint prefixes the project uses: lambda, iam, sts, logs,
 * monitoring ("cloudwatch" is accepted as an alias), ec2, apigateway, apigatewayv2, sqs,
 * service-quotas (endpoint prefix "servicequotas"). */
#ifndef RB_MODEL_H
#define RB_MODEL_H

#include "error.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef enum rb_protocol_kind {
  RB_PROTOCOL_UNKNOWN = 0,
  RB_PROTOCOL_REST_JSON,
  RB_PROTOCOL_JSON,
  RB_PROTOCOL_QUERY,
  RB_PROTOCOL_EC2,
} rb_protocol_kind;

typedef struct rb_model_meta {
  const char *service;       /* our name: "monitoring" even when asked as "cloudwatch" */
  rb_protocol_kind protocol; /* RB_PROTOCOL_UNKNOWN for a protocol we do not speak */
  const char *protocol_name; /* "rest-json", "json", "query", "ec2" */
  const char *api_version;   /* "2015-03-31" */
  const char *endpoint_prefix; /* "monitoring" */
  const char *signing_name;    /* SigV4 service name: "apigateway" for apigatewayv2 */
  const char *service_id;      /* "CloudWatch" */
  const char *target_prefix;   /* json protocol X-Amz-Target prefix, NULL otherwise */
  const char *json_version;    /* "1.1" for json protocols, NULL otherwise */
  const char *global_endpoint; /* "iam.amazonaws.com" for global services, else NULL */
} rb_model_meta;

typedef struct rb_paginator {
  /* The first name of each key (botocore allows lists for some); NULL when absent. */
  const char *input_token;
  const char *output_token;
  const char *limit_key;
  const char *result_key;
  const char *more_results;
  const cJSON *raw; /* the whole paginator object; values are strings or arrays */
} rb_paginator;

typedef struct rb_operation {
  const char *name;   /* "GetFunctionConfiguration" */
  const char *method; /* "GET" */
  const char *uri;    /* request URI template: "/2015-03-31/functions/{FunctionName}" */
  const char *input_shape;    /* NULL when the operation takes no input */
  const char *output_shape;   /* NULL when it returns nothing */
  const char *result_wrapper; /* query protocol: "GetMetricStatisticsResult"; else NULL */
  int write;                  /* 1: changes state or runs code; 0: pure read */
  int has_paginator;
  rb_paginator paginator; /* valid when has_paginator */
} rb_operation;

typedef struct rb_model rb_model;

/* The model of `service` (loaded on first use). NULL with err "UnknownService" (message
 * suggests the closest name) or "ModelError" when the embedded data cannot be read. */
const rb_model *rb_model_load(const char *service, rb_error *err);
const rb_model_meta *rb_model_metadata(const rb_model *m);

/* Fills *op for `operation` (exact, case-sensitive). On failure returns -1 with err
 * "UnknownOperation": "unknown operation 'GetFunctionConfig' for service 'lambda'
 * (did you mean GetFunctionConfiguration?)". */
int rb_model_operation(const rb_model *m, const char *operation, rb_operation *op,
                       rb_error *err);
/* Both steps at once: *model (may be NULL) receives the model. */
int rb_model_find(const char *service, const char *operation, const rb_model **model,
                  rb_operation *op, rb_error *err);
/* 1 when the operation writes, 0 when it only reads, -1 (err filled) when unknown. */
int rb_model_is_write(const char *service, const char *operation, rb_error *err);

/* A shape by name, NULL when absent. */
const cJSON *rb_model_shape(const rb_model *m, const char *name);
/* The shape a REF points at, NULL when the REF or its target is missing. */
const cJSON *rb_model_ref_shape(const rb_model *m, const cJSON *ref);
/* The string value of obj[key], NULL when absent or not a string. */
const char *rb_model_str(const cJSON *obj, const char *key);
/* 1 when obj[key] is JSON true. */
int rb_model_flag(const cJSON *obj, const char *key);

/* Operation names in sorted order: index 0 .. count-1. */
size_t rb_model_operation_count(const rb_model *m);
const char *rb_model_operation_name(const rb_model *m, size_t i);

/* Names of the embedded services, NULL-terminated, in embedding order. */
const char *rb_model_service_name(size_t i);

/* The closest name to `word` among the keys of a cJSON object (or the strings of an
 * array): case-insensitive edit distance, or a name that `word` is a prefix of. NULL when
 * nothing is close. The result points into `names`. */
const char *rb_model_suggest(const char *word, const cJSON *names);

/* Frees every cached model; later calls load again. For leak-free exit and tests. */
void rb_model_free_all(void);

#endif
