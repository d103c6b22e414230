-- Peer baseline: DuckDB over the same corpus. Invoked by run.sh with CORPUS and OUT substituted.
COPY (
  SELECT * FROM (
    SELECT strftime(r.eventTime::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%gZ') AS time, 'aws' AS plane,
           replace(r.eventSource, '.amazonaws.com', '') AS service, r.eventName AS action,
           r.userIdentity.arn AS actor, r.sourceIPAddress AS ip,
           CASE WHEN r.errorCode IS NULL THEN 'success' ELSE 'failure' END AS outcome, r.eventID::VARCHAR AS id
    FROM (SELECT unnest(Records) AS r FROM read_json('@CORPUS@/logs/AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz', format = 'unstructured', maximum_object_size = 268435456, sample_size = -1))
    UNION ALL
    SELECT strftime(make_timestamp(timestamp * 1000), '%Y-%m-%dT%H:%M:%S.%gZ'), 'databricks', serviceName, actionName,
           userIdentity.email, sourceIPAddress,
           CASE WHEN response.statusCode BETWEEN 200 AND 399 THEN 'success' ELSE 'failure' END, requestId
    FROM read_json('@CORPUS@/logs/databricks/audit-logs/*/*/*.json.gz', format = 'newline_delimited',
      columns = {timestamp: 'BIGINT', serviceName: 'VARCHAR', actionName: 'VARCHAR', userIdentity: 'STRUCT(email VARCHAR)',
                 sourceIPAddress: 'VARCHAR', response: 'STRUCT(statusCode INTEGER)', requestId: 'VARCHAR'})
  ) ORDER BY time, id
) TO '@OUT@' (FORMAT json);
