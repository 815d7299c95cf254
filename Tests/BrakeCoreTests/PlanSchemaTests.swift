import Foundation
import Testing

@testable import BrakeCore

/// The exact resource types and attribute paths the plan gate relies on, checked against the AWS provider's own
/// schema (`scripts/catalogs/terraform-schema.sh` writes it from the plugin this machine holds): a misspelt type
/// or path would silently never match. Skipped, visibly, where no provider plugin is available.
@Suite("Plan types and attributes against the provider schema")
struct PlanSchemaTests {
    static let schemaPath: String = {
        if let p = ProcessInfo.processInfo.environment["BRAKE_TF_SCHEMA"] { return p }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/terraform-aws-schema.json").path
    }()

    static let schemas: JSONValue? = {
        guard let text = try? String(contentsOfFile: schemaPath, encoding: .utf8),
            let root = try? JSONValue.parse(text)
        else { return nil }
        return root["provider_schemas"]?["registry.terraform.io/hashicorp/aws"]?["resource_schemas"]
    }()

    /// Whether the dotted path exists in a resource's schema block (nested blocks and object-typed attributes).
    static func resolves(_ path: [String], in block: JSONValue) -> Bool {
        guard let key = path.first else { return true }
        let rest = Array(path.dropFirst())
        if let nested = block["block_types"]?[key]?["block"] { return resolves(rest, in: nested) }
        guard let attribute = block["attributes"]?[key] else { return false }
        if rest.isEmpty { return true }
        // An object-typed attribute: ["list", ["object", {fields}]] or ["object", {fields}].
        func fields(_ t: JSONValue?) -> JSONValue? {
            guard case .array(let parts)? = t, parts.count == 2 else { return nil }
            if parts[0].stringValue == "object" { return parts[1] }
            return fields(parts[1])
        }
        guard let f = fields(attribute["type"]), f[rest[0]] != nil else { return false }
        return rest.count == 1
    }

    @Test("Every AWS type the plan gate names exists; every attribute path resolves", .enabled(if: schemas != nil))
    func awsTypesAndPaths() throws {
        let schemas = try #require(Self.schemas)
        let named = (PlanTypes.data.union(PlanTypes.noData)).filter { $0.hasPrefix("aws_") }
        let missing = named.filter { schemas[$0] == nil }.sorted()
        #expect(missing.isEmpty, "types not in the AWS provider: \(missing)")
        for rule in PlanProtection.terraform {
            for type in rule.types where type.hasPrefix("aws_") {
                guard let block = schemas[type]?["block"] else {
                    Issue.record("protection rule for \(type), not an AWS provider type")
                    continue
                }
                let path = rule.path.split(separator: ".").map(String.init)
                let resolves = Self.resolves(path, in: block)
                #expect(resolves, "\(type).\(rule.path) is not in the schema")
            }
        }
        // The data holders the schema shows by their own guard attributes are all classified as holding data.
        let guards = [
            "skip_final_snapshot", "final_snapshot_identifier", "deletion_protection",
            "deletion_protection_enabled", "force_destroy", "recovery_window_in_days",
        ]
        if case .object(let all) = schemas {
            let unclassified = all.filter { name, s in
                guards.contains { s["block"]?["attributes"]?[$0] != nil } && PlanTypes.holds(name) == .unknown
            }.map(\.0).sorted()
            #expect(unclassified.isEmpty, "types with a data guard attribute but no class: \(unclassified)")
        }
    }
}
