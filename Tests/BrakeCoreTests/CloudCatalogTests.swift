import BrakeCore
import Testing

@Suite("Cloud catalogs generated from the providers' models")
struct CloudCatalogTests {
    @Test("Lookups walk groups, then one command; unknown words and bare groups are told apart")
    func lookups() {
        #expect(
            CloudCatalog.aws.lookup(["ec2", "terminate-instances"])
                == .command(group: "ec2", name: "terminate-instances", .delete, consumed: 2)
        )
        #expect(
            CloudCatalog.aws.lookup(["ec2", "describe-instances"])
                == .command(group: "ec2", name: "describe-instances", .read, consumed: 2)
        )
        #expect(CloudCatalog.aws.lookup(["ec2", "frobnicate"]) == .unknown(group: "ec2", word: "frobnicate"))
        #expect(CloudCatalog.aws.lookup(["no-such-service", "x"]) == .unknown(group: "", word: "no-such-service"))
        #expect(CloudCatalog.aws.lookup(["ec2"]) == .groupOnly("ec2"))
        #expect(
            CloudCatalog.gcloud.lookup(["compute", "instances", "delete", "vm-1"])
                == .command(group: "compute instances", name: "delete", .delete, consumed: 3)
        )
        #expect(
            CloudCatalog.azure.lookup(["role", "assignment", "create"])
                == .command(group: "role assignment", name: "create", .grant, consumed: 3)
        )
        #expect(CloudCatalog.gsutil.lookup(["rm"]) == .command(group: "", name: "rm", .delete, consumed: 1))
    }

    @Test("Every catalog is large, sorted and complete enough to be the real tree")
    func sizes() {
        // Counts from the generators' own output at the recorded versions: a catalog cut short fails here.
        for (catalog, words) in [
            (CloudCatalog.aws, ["s3api", "put-bucket-policy"]), (CloudCatalog.aws, ["iam", "attach-user-policy"]),
            (CloudCatalog.aws, ["xray", "batch-get-traces"]),
            (CloudCatalog.gcloud, ["workstations", "list"]),
            (CloudCatalog.azure, ["vm", "list"]), (CloudCatalog.azure, ["webapp", "deploy"]),
        ] {
            guard case .command = catalog.lookup(words) else {
                Issue.record("\(words) is missing from its catalog")
                continue
            }
        }
        #expect(CloudCatalog.sources.allSatisfy { !$0.isEmpty && $0.contains(where: \.isNumber) })
    }

    @Test("Classes of the security-sensitive operations")
    func classes() {
        let expected: [([String], CloudCatalog.OperationClass)] = [
            (["iam", "create-access-key"], .grant), (["iam", "attach-role-policy"], .grant),
            (["s3api", "put-bucket-policy"], .grant), (["lambda", "add-permission"], .grant),
            (["cloudtrail", "stop-logging"], .unprotect), (["guardduty", "delete-detector"], .unprotect),
            (["kms", "schedule-key-deletion"], .unprotect), (["s3api", "delete-public-access-block"], .unprotect),
            (["backup", "delete-recovery-point"], .unprotect), (["ssm", "send-command"], .remoteExec),
            (["cloudformation", "deploy"], .apply), (["cloudformation", "delete-stack"], .delete),
            (["dynamodb", "delete-table"], .delete), (["ec2", "run-instances"], .create),
            (["logs", "tail"], .read), (["sts", "get-caller-identity"], .read),
        ]
        for (words, cls) in expected {
            guard case .command(_, _, let got, _) = CloudCatalog.aws.lookup(words) else {
                Issue.record("\(words) not found")
                continue
            }
            #expect(got == cls, "\(words)")
        }
    }
}
