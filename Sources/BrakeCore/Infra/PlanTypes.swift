/// What a Terraform/OpenTofu resource type holds, by its exact name: never by prefix, so `aws_route53_zone` is not
/// read as `aws_route…` nor `github_repository` as a stateless `github_…`. A type in neither list is unknown and
/// is reviewed as if it held data. Configuration sub-resources of a listed data store (`aws_s3_bucket_policy`,
/// `aws_db_subnet_group` …) hold no data themselves.
enum PlanTypes {
    enum Holds: Sendable {
        case data, noData, unknown
    }

    /// Types whose deletion loses data unless a guard attribute says otherwise.
    static let data: Set<String> = [
        // AWS databases and stores
        "aws_db_instance", "aws_rds_cluster", "aws_rds_global_cluster", "aws_docdb_cluster",
        "aws_neptune_cluster", "aws_dynamodb_table", "aws_dynamodb_global_table",
        "aws_dynamodb_table_replica", "aws_dsql_cluster", "aws_redshift_cluster", "aws_redshiftserverless_namespace",
        "aws_elasticache_cluster", "aws_elasticache_replication_group", "aws_elasticache_serverless_cache",
        "aws_elasticache_global_replication_group", "aws_memorydb_cluster", "aws_opensearch_domain",
        "aws_elasticsearch_domain", "aws_opensearchserverless_collection", "aws_timestreamwrite_database",
        "aws_timestreamwrite_table", "aws_timestreaminfluxdb_db_instance", "aws_keyspaces_keyspace",
        "aws_keyspaces_table", "aws_qldb_ledger", "aws_s3_bucket", "aws_s3_directory_bucket", "aws_s3_object",
        "aws_s3_bucket_object", "aws_s3control_bucket", "aws_s3tables_table_bucket", "aws_s3tables_table",
        "aws_efs_file_system", "aws_ebs_volume", "aws_fsx_lustre_file_system", "aws_fsx_windows_file_system",
        "aws_fsx_ontap_file_system", "aws_fsx_ontap_volume", "aws_fsx_openzfs_file_system", "aws_fsx_openzfs_volume",
        "aws_glacier_vault", "aws_backup_vault", "aws_backup_plan", "aws_ecr_repository", "aws_kinesis_stream",
        "aws_kinesis_firehose_delivery_stream", "aws_msk_cluster", "aws_msk_serverless_cluster", "aws_sqs_queue",
        "aws_kms_key", "aws_kms_replica_key", "aws_secretsmanager_secret", "aws_secretsmanager_secret_version",
        "aws_ssm_parameter",
        "aws_cognito_user_pool", "aws_vpc", "aws_route53_zone", "aws_eks_cluster", "aws_cloudformation_stack",
        "aws_organizations_account", "aws_organizations_organization", "aws_organizations_organizational_unit",
        "aws_cloudwatch_log_group", "aws_codecommit_repository", "aws_glue_catalog_database",
        "aws_glue_catalog_table", "aws_lightsail_database", "aws_lightsail_disk", "aws_workspaces_workspace",
        "aws_mq_broker", "aws_neptune_global_cluster", "aws_docdb_global_cluster", "aws_lakeformation_resource",
        "aws_athena_database", "aws_athena_workgroup", "aws_cloudtrail", "aws_s3_object_copy",
        "aws_ecrpublic_repository", "aws_neptunegraph_graph", "aws_default_vpc", "aws_dataexchange_revision_assets",
        "aws_quicksight_analysis", "aws_pinpointsmsvoicev2_phone_number", "aws_cloudhsm_v2_cluster",
        "aws_acmpca_certificate_authority",
        // Snapshots are the backups: deleting one is deleting the way back.
        "aws_db_snapshot", "aws_db_cluster_snapshot", "aws_ebs_snapshot", "aws_ebs_snapshot_copy",
        "aws_redshift_snapshot_copy", "aws_memorydb_snapshot", "aws_fsx_backup",
        "aws_backup_selection", "aws_docdb_cluster_snapshot", "aws_neptune_cluster_snapshot",
        // Google Cloud
        "google_sql_database_instance", "google_sql_database", "google_alloydb_cluster", "google_alloydb_backup",
        "google_spanner_instance", "google_spanner_database", "google_bigtable_instance", "google_bigtable_table",
        "google_bigquery_dataset", "google_bigquery_table", "google_firestore_database", "google_firestore_document",
        "google_redis_instance", "google_redis_cluster", "google_memcache_instance", "google_filestore_instance",
        "google_filestore_backup", "google_compute_disk", "google_compute_region_disk", "google_compute_snapshot",
        "google_compute_image", "google_storage_bucket", "google_storage_bucket_object",
        "google_pubsub_subscription", "google_pubsub_topic", "google_kms_key_ring", "google_kms_crypto_key",
        "google_kms_crypto_key_version", "google_secret_manager_secret", "google_secret_manager_secret_version",
        "google_container_cluster", "google_project", "google_folder", "google_artifact_registry_repository",
        "google_logging_project_bucket_config", "google_sourcerepo_repository", "google_dataproc_cluster",
        "google_vertex_ai_dataset",
        // Azure
        "azurerm_resource_group", "azurerm_storage_account", "azurerm_storage_container", "azurerm_storage_blob",
        "azurerm_storage_share", "azurerm_storage_table", "azurerm_storage_queue",
        "azurerm_storage_data_lake_gen2_filesystem",
        "azurerm_mssql_server", "azurerm_mssql_database", "azurerm_mssql_managed_instance",
        "azurerm_postgresql_server", "azurerm_postgresql_database", "azurerm_postgresql_flexible_server",
        "azurerm_postgresql_flexible_server_database", "azurerm_mysql_server", "azurerm_mysql_database",
        "azurerm_mysql_flexible_server", "azurerm_mysql_flexible_database", "azurerm_cosmosdb_account",
        "azurerm_cosmosdb_sql_database", "azurerm_cosmosdb_sql_container", "azurerm_cosmosdb_mongo_database",
        "azurerm_cosmosdb_mongo_collection", "azurerm_cosmosdb_cassandra_keyspace", "azurerm_cosmosdb_table",
        "azurerm_cosmosdb_gremlin_database", "azurerm_redis_cache", "azurerm_managed_disk", "azurerm_snapshot",
        "azurerm_key_vault", "azurerm_key_vault_key", "azurerm_key_vault_secret", "azurerm_key_vault_certificate",
        "azurerm_recovery_services_vault", "azurerm_data_protection_backup_vault", "azurerm_kubernetes_cluster",
        "azurerm_log_analytics_workspace", "azurerm_servicebus_namespace", "azurerm_servicebus_queue",
        "azurerm_eventhub_namespace", "azurerm_eventhub", "azurerm_management_lock", "azurerm_container_registry",
        "azurerm_synapse_workspace", "azurerm_data_factory", "azurerm_search_service",
        // Kubernetes
        "kubernetes_namespace", "kubernetes_namespace_v1", "kubernetes_persistent_volume",
        "kubernetes_persistent_volume_v1", "kubernetes_persistent_volume_claim",
        "kubernetes_persistent_volume_claim_v1",
        "kubernetes_stateful_set", "kubernetes_stateful_set_v1", "kubernetes_manifest", "kubernetes_secret",
        "kubernetes_secret_v1",
        // Code and other providers' stores
        "github_repository", "gitlab_project", "bitbucket_repository", "cloudflare_r2_bucket", "cloudflare_d1_database",
        "cloudflare_workers_kv_namespace", "cloudflare_zone", "digitalocean_database_cluster", "digitalocean_volume",
        "digitalocean_spaces_bucket", "mongodbatlas_cluster", "mongodbatlas_advanced_cluster",
        "snowflake_database", "snowflake_schema", "snowflake_table", "postgresql_database", "mysql_database",
        "vault_mount", "consul_keys", "heroku_addon",
    ]

    /// Types whose deletion costs availability or configuration, not data.
    static let noData: Set<String> = [
        "terraform_data", "null_resource", "test_instance", "aws_db_subnet_group", "aws_db_parameter_group",
        "aws_db_option_group", "aws_elasticache_subnet_group", "aws_elasticache_parameter_group",
        "aws_redshift_subnet_group", "aws_redshift_parameter_group", "aws_docdb_subnet_group",
        "aws_neptune_subnet_group", "aws_dms_replication_subnet_group", "aws_neptune_cluster_instance",
        "aws_default_subnet", "aws_redshift_snapshot_schedule", "aws_dx_lag", "aws_service_discovery_service",
        "aws_transfer_server",
        // AWS compute, network, identity, delivery
        "aws_instance", "aws_spot_instance_request", "aws_lb", "aws_alb", "aws_lb_listener", "aws_lb_listener_rule",
        "aws_lb_target_group", "aws_lb_target_group_attachment", "aws_alb_listener", "aws_alb_target_group",
        "aws_elb", "aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule", "aws_autoscaling_group", "aws_autoscaling_policy",
        "aws_autoscaling_schedule", "aws_autoscaling_attachment", "aws_launch_template", "aws_launch_configuration",
        "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_user",
        "aws_iam_user_policy", "aws_iam_user_policy_attachment", "aws_iam_group", "aws_iam_group_policy",
        "aws_iam_group_policy_attachment", "aws_iam_group_membership", "aws_iam_instance_profile",
        "aws_iam_policy_attachment", "aws_iam_openid_connect_provider", "aws_iam_service_linked_role",
        "aws_route", "aws_route_table", "aws_route_table_association", "aws_route53_record",
        "aws_route53_health_check", "aws_subnet", "aws_lambda_function", "aws_lambda_permission", "aws_lambda_alias",
        "aws_lambda_event_source_mapping", "aws_lambda_layer_version", "aws_lambda_function_url",
        "aws_cloudwatch_metric_alarm", "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
        "aws_cloudwatch_dashboard", "aws_cloudwatch_log_subscription_filter", "aws_cloudwatch_log_metric_filter",
        "aws_sns_topic", "aws_sns_topic_subscription", "aws_sns_topic_policy", "aws_api_gateway_rest_api",
        "aws_api_gateway_resource", "aws_api_gateway_method", "aws_api_gateway_integration",
        "aws_api_gateway_deployment", "aws_api_gateway_stage", "aws_apigatewayv2_api", "aws_apigatewayv2_route",
        "aws_apigatewayv2_integration", "aws_apigatewayv2_stage", "aws_ecs_service", "aws_ecs_task_definition",
        "aws_ecs_cluster", "aws_ecs_capacity_provider", "aws_eip", "aws_eip_association", "aws_nat_gateway",
        "aws_internet_gateway", "aws_network_acl", "aws_network_acl_rule", "aws_network_interface",
        "aws_vpc_endpoint", "aws_vpc_peering_connection", "aws_vpc_dhcp_options", "aws_acm_certificate",
        "aws_acm_certificate_validation", "aws_cloudfront_distribution", "aws_cloudfront_origin_access_identity",
        "aws_cloudfront_origin_access_control", "aws_cloudfront_function", "aws_cloudfront_cache_policy",
        "aws_appautoscaling_target", "aws_appautoscaling_policy", "aws_wafv2_web_acl", "aws_wafv2_ip_set",
        "aws_wafv2_web_acl_association", "aws_ssm_document", "aws_ssm_association", "aws_eks_node_group",
        "aws_eks_addon", "aws_eks_fargate_profile", "aws_rds_cluster_instance", "aws_rds_cluster_parameter_group",
        "aws_key_pair", "aws_placement_group", "aws_sfn_state_machine", "aws_scheduler_schedule",
        "aws_codebuild_project", "aws_codepipeline", "aws_ses_domain_identity", "aws_ses_email_identity",
        "aws_flow_log", "aws_guardduty_detector", "aws_config_configuration_recorder",
        "aws_config_configuration_recorder_status", "aws_kms_alias", "aws_s3_bucket_notification",
        // Google Cloud
        "google_compute_instance", "google_compute_instance_template", "google_compute_instance_group_manager",
        "google_compute_region_instance_group_manager", "google_compute_firewall", "google_compute_network",
        "google_compute_subnetwork", "google_compute_address", "google_compute_global_address",
        "google_compute_forwarding_rule", "google_compute_global_forwarding_rule", "google_compute_router",
        "google_compute_router_nat", "google_compute_backend_service", "google_compute_health_check",
        "google_compute_url_map", "google_compute_target_https_proxy", "google_compute_managed_ssl_certificate",
        "google_cloud_run_service", "google_cloud_run_v2_service", "google_cloud_run_v2_job",
        "google_cloud_run_service_iam_member", "google_cloudfunctions_function", "google_cloudfunctions2_function",
        "google_project_iam_member", "google_project_iam_binding", "google_project_iam_custom_role",
        "google_service_account", "google_service_account_key", "google_service_account_iam_member",
        "google_container_node_pool", "google_project_service", "google_dns_record_set",
        "google_monitoring_alert_policy",
        "google_cloud_scheduler_job", "google_pubsub_topic_iam_member", "google_storage_bucket_iam_member",
        // Azure
        "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine",
        "azurerm_linux_virtual_machine_scale_set", "azurerm_network_interface", "azurerm_network_security_group",
        "azurerm_network_security_rule", "azurerm_public_ip", "azurerm_role_assignment", "azurerm_role_definition",
        "azurerm_app_service", "azurerm_app_service_plan", "azurerm_service_plan", "azurerm_linux_web_app",
        "azurerm_windows_web_app", "azurerm_linux_function_app", "azurerm_subnet", "azurerm_virtual_network",
        "azurerm_lb", "azurerm_application_gateway", "azurerm_dns_a_record", "azurerm_dns_cname_record",
        "azurerm_user_assigned_identity", "azurerm_kubernetes_cluster_node_pool", "azurerm_monitor_diagnostic_setting",
        // Kubernetes
        "kubernetes_deployment", "kubernetes_deployment_v1", "kubernetes_service", "kubernetes_service_v1",
        "kubernetes_config_map", "kubernetes_config_map_v1", "kubernetes_ingress", "kubernetes_ingress_v1",
        "kubernetes_role", "kubernetes_role_v1", "kubernetes_role_binding", "kubernetes_role_binding_v1",
        "kubernetes_cluster_role", "kubernetes_cluster_role_v1", "kubernetes_cluster_role_binding",
        "kubernetes_cluster_role_binding_v1", "kubernetes_service_account", "kubernetes_service_account_v1",
        "kubernetes_horizontal_pod_autoscaler", "kubernetes_horizontal_pod_autoscaler_v2", "kubernetes_daemonset",
        "kubernetes_daemon_set_v1", "kubernetes_job", "kubernetes_job_v1", "kubernetes_cron_job",
        "kubernetes_cron_job_v1", "kubernetes_network_policy", "kubernetes_network_policy_v1",
        "kubernetes_storage_class", "kubernetes_storage_class_v1", "kubernetes_limit_range",
        "kubernetes_resource_quota",
        // Other providers' configuration
        "cloudflare_record", "cloudflare_dns_record", "cloudflare_page_rule", "github_branch_protection",
        "github_team", "github_team_membership", "github_membership", "github_actions_secret",
        "github_repository_webhook", "datadog_monitor", "datadog_dashboard", "pagerduty_service",
        "pagerduty_escalation_policy",
    ]

    /// Providers whose every resource lives only in the state (random values, clocks, local files, keys made here).
    static let stateOnlyProviders: Set<String> = ["random", "time", "null", "tls", "local", "archive", "external"]

    /// Suffixes of configuration sub-resources; they count only on top of a data store this catalog lists.
    static let configurationSuffixes = [
        "_policy", "_attachment", "_association", "_subnet_group", "_parameter_group", "_option_group", "_versioning",
        "_lifecycle_configuration", "_public_access_block", "_server_side_encryption_configuration", "_acl",
        "_notification", "_cors_configuration", "_ownership_controls", "_logging", "_website_configuration",
        "_iam_member", "_iam_binding", "_iam_policy", "_replication_configuration", "_accelerate_configuration",
        "_request_payment_configuration", "_object_lock_configuration", "_alias", "_tag", "_rotation", "_grant",
        "_endpoint", "_user", "_role", "_intelligent_tiering_configuration", "_metric", "_analytics_configuration",
        "_inventory", "_ip_configuration", "_network_rules", "_firewall_rule", "_configuration",
    ]

    static func holds(_ type: String) -> Holds {
        if data.contains(type) { return .data }
        if noData.contains(type) { return .noData }
        if let provider = type.split(separator: "_", maxSplits: 1).first,
            stateOnlyProviders.contains(String(provider))
        {
            return .noData
        }
        for suffix in configurationSuffixes where type.hasSuffix(suffix) {
            if data.contains(String(type.dropLast(suffix.count))) { return .noData }
        }
        return .unknown
    }
}
