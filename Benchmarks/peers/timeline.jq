# Peer baseline: zcat | jq -c (this filter) | sort. Lines start with the time so `sort` orders them.
if .Records then
  .Records[] | {time: .eventTime, plane: "aws", service: (.eventSource | sub("\\.amazonaws\\.com$"; "")), action: .eventName,
                actor: (.userIdentity.arn // .userIdentity.principalId), ip: .sourceIPAddress,
                outcome: (if .errorCode then "failure" else "success" end), id: .eventID}
else
  {time: ((.timestamp / 1000) | todate), plane: "databricks", service: .serviceName, action: .actionName,
   actor: .userIdentity.email, ip: .sourceIPAddress,
   outcome: (if (.response.statusCode // 0) >= 200 and (.response.statusCode // 0) < 400 then "success" else "failure" end), id: .requestId}
end
