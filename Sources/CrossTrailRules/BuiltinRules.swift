/// The rules crosstrail ships, in Sigma format (`crosstrail rules list` shows them; `--rules DIR`
/// adds your own). Each carries positive and negative examples that `crosstrail rules test` runs.
enum BuiltinRules {
    static let file = "builtin"

    static let yaml = #"""
title: CloudTrail logging stopped or trail deleted
id: ct-logging-stopped
level: critical
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: [StopLogging, DeleteTrail]
  condition: selection
remediation: Restart logging (StartLogging) or recreate the trail, find who did it and why, and restrict cloudtrail:StopLogging/DeleteTrail with an SCP.
controls: [SOC 2 CC7.2, ISO 27001:2022 A.8.15, PCI DSS 4.0 10.2.1, HIPAA 164.312(b), NIST 800-53 AU-9]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T09:44:00Z", eventSource: cloudtrail.amazonaws.com, eventName: StopLogging, eventID: ex-1, awsRegion: us-east-1, sourceIPAddress: 198.51.100.23, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T09:44:00Z", eventSource: cloudtrail.amazonaws.com, eventName: StartLogging, eventID: ex-2, awsRegion: us-east-1, sourceIPAddress: 198.51.100.23, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}}
---
title: CloudTrail trail or event selectors changed
id: ct-trail-changed
level: medium
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: [UpdateTrail, PutEventSelectors, PutInsightSelectors, DeleteEventDataStore]
  condition: selection
remediation: Compare the trail's configuration with the baseline; data events dropped from the selectors leave S3 and Lambda activity unlogged.
controls: [SOC 2 CC7.2, ISO 27001:2022 A.8.15, PCI DSS 4.0 10.2.1, NIST 800-53 AU-9]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: cloudtrail.amazonaws.com, eventName: PutEventSelectors, eventID: ex-3, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: cloudtrail.amazonaws.com, eventName: GetEventSelectors, eventID: ex-4, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}}
---
title: Databricks verbose audit logging turned off
id: dbx-verbose-audit-off
level: high
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: databricks, service: audit}
detection:
  selection:
    serviceName: workspace
    actionName: workspaceConfEdit
    requestParams.workspaceConfKeys: enableVerboseAuditLogs
    requestParams.workspaceConfValues: "false"
  condition: selection
remediation: Turn verbose audit logs back on (workspace settings) and review what ran while they were off.
controls: [SOC 2 CC7.2, ISO 27001:2022 A.8.15, PCI DSS 4.0 10.2.1, NIST 800-53 AU-9]
examples:
  match:
    - {serviceName: workspace, actionName: workspaceConfEdit, timestamp: 1785577320000, requestId: ex-5, userIdentity: {email: alice@acme.example}, requestParams: {workspaceConfKeys: enableVerboseAuditLogs, workspaceConfValues: "false"}, response: {statusCode: 200}}
  nomatch:
    - {serviceName: workspace, actionName: workspaceConfEdit, timestamp: 1785577320000, requestId: ex-6, userIdentity: {email: alice@acme.example}, requestParams: {workspaceConfKeys: enableVerboseAuditLogs, workspaceConfValues: "true"}, response: {statusCode: 200}}
---
title: Databricks results download or export enabled
id: dbx-export-enabled
level: medium
tags: [attack.exfiltration]
logsource: {product: databricks, service: audit}
detection:
  selection:
    actionName: workspaceConfEdit
    requestParams.workspaceConfKeys: [enableResultsDownloading, enableExportNotebook, enableNotebookTableClipboard]
    requestParams.workspaceConfValues: "true"
  condition: selection
remediation: Confirm the change was approved; results download lets any user take query results off the platform.
controls: [SOC 2 CC6.7, ISO 27001:2022 A.8.12, NIST 800-53 AC-4]
examples:
  match:
    - {serviceName: workspace, actionName: workspaceConfEdit, timestamp: 1785577320000, requestId: ex-7, userIdentity: {email: a@x.example}, requestParams: {workspaceConfKeys: enableResultsDownloading, workspaceConfValues: "true"}}
  nomatch:
    - {serviceName: workspace, actionName: workspaceConfEdit, timestamp: 1785577320000, requestId: ex-8, userIdentity: {email: a@x.example}, requestParams: {workspaceConfKeys: enableResultsDownloading, workspaceConfValues: "false"}}
---
title: Databricks query or notebook results downloaded
id: dbx-results-download
level: medium
tags: [attack.exfiltration, attack.t1567]
logsource: {product: databricks, service: audit}
detection:
  selection:
    actionName: [downloadQueryResult, downloadPreviewResults, downloadLargeResults]
  condition: selection
remediation: Check what the results held; restrict results download to groups that need it (workspace setting enableResultsDownloading).
controls: [SOC 2 CC6.7, ISO 27001:2022 A.8.12, PCI DSS 4.0 3.4.1, NIST 800-53 AC-4]
examples:
  match:
    - {serviceName: databrickssql, actionName: downloadQueryResult, timestamp: 1785577230000, requestId: ex-9, userIdentity: {email: alice@acme.example}, requestParams: {queryResultId: qr-1, fileType: csv}}
  nomatch:
    - {serviceName: databrickssql, actionName: commandSubmit, timestamp: 1785577230000, requestId: ex-10, userIdentity: {email: alice@acme.example}, requestParams: {}}
---
title: Databricks workspace export in a non-source format
id: dbx-workspace-export
level: medium
tags: [attack.exfiltration, attack.t1567]
logsource: {product: databricks, service: audit}
detection:
  selection:
    actionName: workspaceExport
  source:
    requestParams.workspaceExportFormat: SOURCE
  condition: selection and not source
remediation: Notebooks exported as HTML, DBC or Jupyter carry their results; confirm the export was expected.
controls: [SOC 2 CC6.7, ISO 27001:2022 A.8.12, NIST 800-53 AC-4]
examples:
  match:
    - {serviceName: workspace, actionName: workspaceExport, timestamp: 1785577230000, requestId: ex-11, userIdentity: {email: a@x.example}, requestParams: {workspaceExportFormat: HTML, notebookFullPath: /Users/a/n}}
  nomatch:
    - {serviceName: workspace, actionName: workspaceExport, timestamp: 1785577230000, requestId: ex-12, userIdentity: {email: a@x.example}, requestParams: {workspaceExportFormat: SOURCE, notebookFullPath: /Users/a/n}}
---
title: Delta Sharing recipient or share created
id: dbx-delta-sharing
level: medium
tags: [attack.exfiltration, attack.t1537]
logsource: {product: databricks, service: audit}
detection:
  selection:
    actionName: [createRecipient, createShare, updateShare, updateSharePermissions, generateRecipientActivationUrl]
  condition: selection
remediation: Confirm the recipient and the shared tables; classified tables should not be shared without approval.
controls: [SOC 2 CC6.7, ISO 27001:2022 A.5.14, NIST 800-53 AC-21]
examples:
  match:
    - {serviceName: unityCatalog, actionName: createRecipient, timestamp: 1785577230000, requestId: ex-13, userIdentity: {email: a@x.example}, requestParams: {name: partner}}
  nomatch:
    - {serviceName: unityCatalog, actionName: getShare, timestamp: 1785577230000, requestId: ex-14, userIdentity: {email: a@x.example}, requestParams: {name: s}}
---
title: S3 bucket made public
id: s3-public-exposure
level: high
tags: [attack.exfiltration, attack.t1530]
logsource: {product: aws, service: cloudtrail}
detection:
  policy:
    eventName: PutBucketPolicy
    requestParameters.bucketPolicy.Statement.Principal|re: '^(\*|\{"AWS":"\*"\}|\{"AWS":\["\*"\]\})$'
  acl:
    eventName: [PutBucketAcl, PutObjectAcl]
    requestParameters.x-amz-acl: [public-read, public-read-write, authenticated-read]
  grant:
    eventName: [PutBucketAcl, PutObjectAcl]
    requestParameters.AccessControlPolicy.AccessControlList.Grant.Grantee.URI|endswith: [/global/AllUsers, /global/AuthenticatedUsers]
  block:
    eventName: [DeletePublicAccessBlock, DeleteAccountPublicAccessBlock]
  condition: 1 of policy or acl or grant or block
remediation: Restore the public access block, remove public principals and grants, and check what was read while the bucket was open.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.8.3, PCI DSS 4.0 1.4.1, HIPAA 164.312(a)(1), NIST 800-53 AC-3]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: s3.amazonaws.com, eventName: PutBucketPolicy, eventID: ex-15, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {bucketName: b, bucketPolicy: {Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}]}}}
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: s3.amazonaws.com, eventName: DeletePublicAccessBlock, eventID: ex-16, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {bucketName: b}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: s3.amazonaws.com, eventName: PutBucketPolicy, eventID: ex-17, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {bucketName: b, bucketPolicy: {Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::1:root"}, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}]}}}
---
title: EBS snapshot shared with another account or made public
id: ebs-snapshot-shared
level: high
tags: [attack.exfiltration, attack.t1537]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: [ModifySnapshotAttribute, ModifyDBSnapshotAttribute, ModifyDBClusterSnapshotAttribute]
  adds:
    - requestParameters.createVolumePermission.add.items.userId|re: '.+'
    - requestParameters.createVolumePermission.add.items.group: all
    - requestParameters.valuesToAdd|re: '.+'
  condition: selection and adds
remediation: Remove the permission and check whether the other account copied the snapshot.
controls: [SOC 2 CC6.7, ISO 27001:2022 A.5.14, NIST 800-53 AC-21]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: ec2.amazonaws.com, eventName: ModifySnapshotAttribute, eventID: ex-18, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {snapshotId: snap-1, createVolumePermission: {add: {items: [{userId: "999988887777"}]}}}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: ec2.amazonaws.com, eventName: ModifySnapshotAttribute, eventID: ex-19, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {snapshotId: snap-1, createVolumePermission: {remove: {items: [{userId: "999988887777"}]}}}}
---
title: Encryption removed or key scheduled for deletion
id: encryption-removed
level: high
tags: [attack.impact, attack.t1485]
logsource: {product: aws, service: cloudtrail}
detection:
  s3:
    eventName: DeleteBucketEncryption
  kms:
    eventSource: kms.amazonaws.com
    eventName: [DisableKey, ScheduleKeyDeletion]
  condition: s3 or kms
remediation: Re-enable default encryption / cancel the key deletion (CancelKeyDeletion) and find what depends on the key.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.8.24, PCI DSS 4.0 3.5.1, HIPAA 164.312(a)(2)(iv), NIST 800-53 SC-28]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: kms.amazonaws.com, eventName: ScheduleKeyDeletion, eventID: ex-20, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {keyId: k, pendingWindowInDays: 7}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: kms.amazonaws.com, eventName: CancelKeyDeletion, eventID: ex-21, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {keyId: k}}
---
title: AWS root account used
id: aws-root-use
level: high
tags: [attack.privilege-escalation, attack.t1078.004]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    userIdentity.type: Root
  service:
    eventType: AwsServiceEvent
  condition: selection and not service
remediation: Use named identities; keep the root user for the few tasks that need it, with hardware MFA, and alert on every use.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.8.2, PCI DSS 4.0 8.2.2, NIST 800-53 AC-6(2)]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: iam.amazonaws.com, eventName: CreateUser, eventID: ex-22, awsRegion: us-east-1, eventType: AwsApiCall, userIdentity: {type: Root, arn: "arn:aws:iam::1:root", accountId: "1"}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: iam.amazonaws.com, eventName: CreateUser, eventID: ex-23, awsRegion: us-east-1, eventType: AwsApiCall, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}}
---
title: Databricks admin rights granted
id: dbx-admin-grant
level: high
tags: [attack.persistence, attack.t1098]
logsource: {product: databricks, service: audit}
detection:
  group:
    actionName: [addPrincipalToGroup, addPrincipalsToGroup]
    requestParams.targetGroupName: admins
  direct:
    actionName: [setAdmin, setAccountAdmin, createServicePrincipalAdmin]
  condition: group or direct
remediation: Confirm the grant was approved; keep workspace admins to a few named operators.
controls: [SOC 2 CC6.3, ISO 27001:2022 A.8.2, PCI DSS 4.0 7.2.2, NIST 800-53 AC-2, NIST 800-53 AC-6]
examples:
  match:
    - {serviceName: accounts, actionName: addPrincipalToGroup, timestamp: 1785577230000, requestId: ex-24, userIdentity: {email: a@x.example}, requestParams: {targetGroupName: admins, targetUserName: b@x.example}}
  nomatch:
    - {serviceName: accounts, actionName: addPrincipalToGroup, timestamp: 1785577230000, requestId: ex-25, userIdentity: {email: a@x.example}, requestParams: {targetGroupName: analysts, targetUserName: b@x.example}}
---
title: Databricks personal access token without expiry
id: dbx-token-no-expiry
level: medium
tags: [attack.persistence, attack.t1098.001]
logsource: {product: databricks, service: audit}
detection:
  selection:
    actionName: generateDbToken
  lifetime:
    requestParams.lifetimeSeconds|re: '^[1-9][0-9]*$'
  condition: selection and not lifetime
remediation: Revoke the token, set a maximum token lifetime in the workspace, and prefer OAuth.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.5.17, PCI DSS 4.0 8.3.9, NIST 800-53 IA-5]
examples:
  match:
    - {serviceName: accounts, actionName: generateDbToken, timestamp: 1785577230000, requestId: ex-26, userIdentity: {email: a@x.example}, requestParams: {comment: ci}}
  nomatch:
    - {serviceName: accounts, actionName: generateDbToken, timestamp: 1785577230000, requestId: ex-27, userIdentity: {email: a@x.example}, requestParams: {comment: ci, lifetimeSeconds: "7776000"}}
---
title: Databricks customer-managed key configuration removed or changed
id: dbx-cmk-removed
level: high
tags: [attack.impact, attack.t1485]
logsource: {product: databricks, service: audit}
detection:
  account:
    serviceName: accountsManager
  key:
    actionName|contains: [CustomerManagedKey, EncryptionKey, Cmk]
  change:
    actionName|startswith: [delete, update, remove, replace]
  condition: account and key and change
remediation: Confirm the change was approved; without the customer-managed key the workspace's notebooks, secrets and root storage fall back to Databricks-managed encryption (or become unreadable). Restore the key configuration and restrict account admins.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.8.24, PCI DSS 4.0 3.5.1, HIPAA 164.312(a)(2)(iv), NIST 800-53 SC-28]
examples:
  match:
    - {serviceName: accountsManager, actionName: deleteCustomerManagedKeyConfiguration, timestamp: 1785577230000, requestId: ex-cmk-1, userIdentity: {email: a@x.example}, requestParams: {customer_managed_key_id: cmk-1}}
  nomatch:
    - {serviceName: accountsManager, actionName: createCustomerManagedKeyConfiguration, timestamp: 1785577230000, requestId: ex-cmk-2, userIdentity: {email: a@x.example}, requestParams: {}}
    - {serviceName: accountsManager, actionName: deleteWorkspace, timestamp: 1785577230000, requestId: ex-cmk-3, userIdentity: {email: a@x.example}, requestParams: {}}
---
title: Databricks support staff accessed the workspace
id: dbx-support-access
level: medium
tags: [attack.initial-access, attack.t1199]
logsource: {product: databricks, service: audit}
detection:
  selection:
    serviceName: [genie, databricksSupport]
  condition: selection
remediation: Match the access to a support ticket you opened.
controls: [SOC 2 CC6.2, ISO 27001:2022 A.5.19, NIST 800-53 AC-17]
examples:
  match:
    - {serviceName: genie, actionName: databricksAccess, timestamp: 1785577230000, requestId: ex-28, userIdentity: {email: support@databricks.com}, requestParams: {}}
  nomatch:
    - {serviceName: notebook, actionName: runCommand, timestamp: 1785577230000, requestId: ex-29, userIdentity: {email: a@x.example}, requestParams: {}}
---
title: Cluster with an instance profile and no user isolation
id: dbx-cluster-no-isolation
level: medium
tags: [attack.privilege-escalation]
logsource: {product: databricks, service: audit}
detection:
  selection:
    serviceName: clusters
    actionName: [create, edit]
    requestParams.aws_attributes.instance_profile_arn|re: '.+'
  isolated:
    requestParams.data_security_mode: [SINGLE_USER, USER_ISOLATION]
  condition: selection and not isolated
remediation: Every user who can attach to such a cluster acts with the instance profile's role; require single-user or Unity Catalog isolation through a cluster policy.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.8.2, NIST 800-53 AC-6]
examples:
  match:
    - {serviceName: clusters, actionName: edit, timestamp: 1785576660000, requestId: ex-30, userIdentity: {email: alice@acme.example}, requestParams: {cluster_id: c1, aws_attributes: {instance_profile_arn: "arn:aws:iam::1:instance-profile/p"}, data_security_mode: NONE}}
  nomatch:
    - {serviceName: clusters, actionName: edit, timestamp: 1785576660000, requestId: ex-31, userIdentity: {email: alice@acme.example}, requestParams: {cluster_id: c1, aws_attributes: {instance_profile_arn: "arn:aws:iam::1:instance-profile/p"}, data_security_mode: SINGLE_USER}}
---
title: GPU or very large instances launched
id: ec2-gpu-launch
level: low
tags: [attack.impact, attack.t1496]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: RunInstances
    requestParameters.instanceType|startswith: [p3., p4, p5, g4, g5, g6, inf, trn, x2, u-]
  condition: selection
remediation: Confirm the launch belongs to a known workload; cryptomining uses GPU instances.
controls: [SOC 2 CC7.2, NIST 800-53 SI-4]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: ec2.amazonaws.com, eventName: RunInstances, eventID: ex-32, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {instanceType: p4d.24xlarge}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: ec2.amazonaws.com, eventName: RunInstances, eventID: ex-33, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/u", accountId: "1"}, requestParameters: {instanceType: m5.large}}
---
title: Access key created for another IAM user
id: iam-access-key-for-other-user
level: high
tags: [attack.persistence, attack.t1098.001]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: CreateAccessKey
    requestParameters.userName|re: '.+'
  own:
    requestParameters.userName|fieldref: userIdentity.userName
  condition: selection and not own
remediation: Confirm with the user; deactivate the key if they did not ask for it, and restrict iam:CreateAccessKey to self (aws:username).
controls: [SOC 2 CC6.1, ISO 27001:2022 A.5.17, PCI DSS 4.0 8.2.2, NIST 800-53 IA-5]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: iam.amazonaws.com, eventName: CreateAccessKey, eventID: ex-34, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/mallory", userName: mallory, accountId: "1"}, requestParameters: {userName: admin}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: iam.amazonaws.com, eventName: CreateAccessKey, eventID: ex-35, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/ann", userName: ann, accountId: "1"}, requestParameters: {userName: ann}}
---
title: Databricks audit log delivery configuration changed
id: dbx-log-delivery-changed
level: high
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: databricks, service: audit}
detection:
  selection:
    serviceName: accountsManager
    actionName: [createLogDeliveryConfiguration, updateLogDeliveryConfiguration, patchLogDeliveryConfiguration, deleteLogDeliveryConfiguration]
  condition: selection
remediation: Check that audit log delivery still reaches its bucket for every workspace; a disabled configuration stops the Databricks audit trail.
controls: [SOC 2 CC7.2, ISO 27001:2022 A.8.15, PCI DSS 4.0 10.2.1, NIST 800-53 AU-9]
examples:
  match:
    - {serviceName: accountsManager, actionName: patchLogDeliveryConfiguration, timestamp: 1785577230000, requestId: ex-36, userIdentity: {email: a@x.example}, requestParams: {status: DISABLED}}
  nomatch:
    - {serviceName: accountsManager, actionName: getLogDeliveryConfiguration, timestamp: 1785577230000, requestId: ex-37, userIdentity: {email: a@x.example}, requestParams: {}}
---
title: Cluster created without a cluster policy
id: dbx-cluster-without-policy
level: low
tags: [attack.privilege-escalation]
logsource: {product: databricks, service: audit}
detection:
  selection:
    serviceName: clusters
    actionName: create
  policy:
    requestParams.policy_id|re: '.+'
  condition: selection and not policy
remediation: Require cluster policies (entitlement allow-cluster-create only through policies) so instance profiles, isolation and sizes are enforced at creation.
controls: [SOC 2 CC8.1, ISO 27001:2022 A.8.9, NIST 800-53 CM-7]
examples:
  match:
    - {serviceName: clusters, actionName: create, timestamp: 1785577230000, requestId: ex-38, userIdentity: {email: a@x.example}, requestParams: {cluster_name: c, spark_version: "15.4.x-scala2.12"}}
  nomatch:
    - {serviceName: clusters, actionName: create, timestamp: 1785577230000, requestId: ex-39, userIdentity: {email: a@x.example}, requestParams: {cluster_name: c, policy_id: "E0631F5C0D000F9A"}}
---
title: Cluster autoscaling maximum raised to 100 workers or more
id: dbx-autoscale-large
level: low
tags: [attack.impact, attack.t1496]
logsource: {product: databricks, service: audit}
detection:
  selection:
    serviceName: clusters
    actionName: [create, edit, resize]
    requestParams.autoscale.max_workers|re: '^[1-9][0-9]{2,}$'
  condition: selection
remediation: Confirm the size is expected; cap max_workers in the cluster policy.
controls: [SOC 2 CC7.2, NIST 800-53 SI-4]
examples:
  match:
    - {serviceName: clusters, actionName: edit, timestamp: 1785577230000, requestId: ex-40, userIdentity: {email: a@x.example}, requestParams: {cluster_id: c1, autoscale: {min_workers: 2, max_workers: 400}}}
  nomatch:
    - {serviceName: clusters, actionName: edit, timestamp: 1785577230000, requestId: ex-41, userIdentity: {email: a@x.example}, requestParams: {cluster_id: c1, autoscale: {min_workers: 2, max_workers: 20}}}
---
title: Console sign-in without MFA
id: aws-console-login-no-mfa
level: medium
tags: [attack.initial-access, attack.t1078.004]
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
    userIdentity.type: [IAMUser, Root]
    additionalEventData.MFAUsed: "No"
    outcome: success
  condition: selection
remediation: Require MFA for console users (an IAM policy denying actions without aws:MultiFactorAuthPresent) or move them to SSO.
controls: [SOC 2 CC6.1, ISO 27001:2022 A.8.5, PCI DSS 4.0 8.4.2, HIPAA 164.312(d), NIST 800-53 IA-2(1)]
examples:
  match:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: signin.amazonaws.com, eventName: ConsoleLogin, eventID: ex-42, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/ann", accountId: "1"}, responseElements: {ConsoleLogin: Success}, additionalEventData: {MFAUsed: "No"}}
  nomatch:
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: signin.amazonaws.com, eventName: ConsoleLogin, eventID: ex-43, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/ann", accountId: "1"}, responseElements: {ConsoleLogin: Success}, additionalEventData: {MFAUsed: "Yes"}}
    - {eventVersion: "1.08", eventTime: "2026-08-01T10:00:00Z", eventSource: signin.amazonaws.com, eventName: ConsoleLogin, eventID: ex-44, awsRegion: us-east-1, userIdentity: {type: IAMUser, arn: "arn:aws:iam::1:user/ann", accountId: "1"}, responseElements: {ConsoleLogin: Failure}, additionalEventData: {MFAUsed: "No"}}
"""#
}
