extension SampleGenerator {
    /// Permission exports as the AWS CLI and Databricks APIs return them (one file per response).
    mutating func writeInventory() throws {
        let acct = Self.accounts[0]
        let iam = """
            {
              "UserDetailList": [
                {"Path": "/", "UserName": "ci-deployer", "UserId": "AIDAEXAMPLECIDEPLOY1", "Arn": "arn:aws:iam::\(acct):user/ci-deployer", "CreateDate": "2024-02-01T10:00:00Z",
                 "UserPolicyList": [], "GroupList": ["admins"], "AttachedManagedPolicies": [], "Tags": []}
              ],
              "GroupDetailList": [
                {"Path": "/", "GroupName": "admins", "GroupId": "AGPAEXAMPLEADMINS01", "Arn": "arn:aws:iam::\(acct):group/admins", "CreateDate": "2024-01-01T00:00:00Z",
                 "GroupPolicyList": [], "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}
              ],
              "RoleDetailList": [
                {"Path": "/", "RoleName": "databricks-shared-broad", "RoleId": "AROAEXAMPLEBROAD0001", "Arn": "\(Self.broadProfileRole)", "CreateDate": "2025-03-09T10:41:45Z",
                 "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                 "InstanceProfileList": [{"InstanceProfileName": "databricks-shared-broad", "Arn": "arn:aws:iam::\(acct):instance-profile/databricks-shared-broad", "Roles": []}],
                 "RolePolicyList": [{"PolicyName": "s3-everything", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}],
                 "AttachedManagedPolicies": [], "Tags": []},
                {"Path": "/", "RoleName": "databricks-cross-account", "RoleId": "AROAEXAMPLEDBXCROSS", "Arn": "arn:aws:iam::\(acct):role/databricks-cross-account", "CreateDate": "2025-03-09T10:41:45Z",
                 "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::414351767826:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "a1b2c3d4-0000-1111-2222-333344445555"}}}]},
                 "InstanceProfileList": [], "RolePolicyList": [{"PolicyName": "ec2-launch", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ec2:RunInstances", "ec2:TerminateInstances", "ec2:Describe*", "iam:PassRole"], "Resource": "*"}]}}],
                 "AttachedManagedPolicies": [], "Tags": []}
              ],
              "Policies": [
                {"PolicyName": "AdministratorAccess", "PolicyId": "ANPAIWMBCKSKIEE64ZLYK", "Arn": "arn:aws:iam::aws:policy/AdministratorAccess", "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
                 "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "VersionId": "v1", "IsDefaultVersion": true, "CreateDate": "2015-02-06T18:39:46Z"}]}
              ]
            }

            """
        try write("inventory/aws/iam-authorization-details.json", Array(iam.utf8))
        let users = Self.users.enumerated().map { i, u in
            "{\"id\":\"10\(i)\",\"userName\":\"\(u)\",\"displayName\":\"\(u.split(separator: "@")[0].capitalized)\",\"active\":true,\"emails\":[{\"value\":\"\(u)\",\"primary\":true}],\"groups\":[{\"display\":\"users\",\"value\":\"200\"}\(i < 2 ? ",{\"display\":\"data-engineers\",\"value\":\"201\"}" : "")],\"entitlements\":[{\"value\":\"allow-cluster-create\"}]}"
        }
        try write(
            "inventory/databricks/scim-users.json",
            Array(
                "{\"totalResults\":\(users.count),\"itemsPerPage\":\(users.count),\"startIndex\":1,\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"],\"Resources\":[\(users.joined(separator: ","))]}\n"
                    .utf8))
        try write(
            "inventory/databricks/scim-groups.json",
            Array(
                """
                {"totalResults":3,"Resources":[{"id":"200","displayName":"users","members":[]},{"id":"201","displayName":"data-engineers","members":[{"value":"100"},{"value":"101"}]},{"id":"202","displayName":"admins","members":[{"value":"100"}],"roles":[{"value":"arn:aws:iam::\(acct):instance-profile/databricks-shared-broad"}]}]}

                """.utf8))
        try write(
            "inventory/databricks/clusters.json",
            Array(
                """
                {"clusters":[{"cluster_id":"\(Self.incidentCluster)","cluster_name":"shared-analytics","data_security_mode":"NONE","aws_attributes":{"instance_profile_arn":"arn:aws:iam::\(acct):instance-profile/databricks-shared-broad"},"creator_user_name":"alice@acme.example","state":"RUNNING"}]}

                """.utf8))
        try write(
            "inventory/databricks/permissions/clusters/\(Self.incidentCluster).json",
            Array(
                """
                {"object_id":"/clusters/\(Self.incidentCluster)","object_type":"cluster","access_control_list":[{"group_name":"users","all_permissions":[{"permission_level":"CAN_ATTACH_TO","inherited":false}]},{"user_name":"alice@acme.example","all_permissions":[{"permission_level":"CAN_MANAGE","inherited":false}]}]}

                """.utf8))
        try write(
            "inventory/databricks/unity-catalog/grants/catalog/main.json",
            Array(
                """
                {"privilege_assignments":[{"principal":"account users","privileges":["USE_CATALOG","SELECT"]},{"principal":"data-engineers","privileges":["ALL_PRIVILEGES"]}]}

                """.utf8))
        try write(
            "inventory/databricks/instance-profiles.json",
            Array(
                """
                {"instance_profiles":[{"instance_profile_arn":"arn:aws:iam::\(acct):instance-profile/databricks-shared-broad","is_meta_instance_profile":false}]}

                """.utf8))
        try write(
            "inventory/classification.yaml",
            Array(
                """
                # Data classes by S3 prefix and Unity Catalog table (see Docs/formats.md)
                s3:
                  - prefix: s3://acme-pii-customers/
                    class: pii
                    allowed_groups: [data-engineers]
                tables:
                  - name: main.sales.customers
                    class: pii
                    allowed_groups: [data-engineers]

                """.utf8))
    }
}
