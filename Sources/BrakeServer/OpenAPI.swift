import BrakeCore

/// The API description served at `/v1/openapi.yaml` (and printed by `brake serve --openapi`).
public enum OpenAPI {
    public static let document = #"""
        openapi: 3.1.0
        info:
          title: Brake control plane
          version: \#(BrakeVersion.current)
          description: |
            Approvals bound to action digests, stop orders, the circuit breaker and the signed audit log.
            Every call except /v1/health, /v1/openapi.yaml and /v1/audit/public-key needs
            `Authorization: Bearer TOKEN`. Errors are `{"error": "what to fix"}` with a 4xx status.
        servers:
          - url: http://127.0.0.1:8377
        components:
          securitySchemes:
            token: {type: http, scheme: bearer}
          schemas:
            AgentRecord:
              type: object
              required: [kind]
              properties:
                kind: {type: string, enum: [file, commit]}
                blob: {type: string, pattern: '^[0-9a-fA-F]{40}$'}
                commit: {type: string, pattern: '^[0-9a-fA-F]{40}$'}
                tree: {type: string}
                parents: {type: array, items: {type: string}}
                path: {type: string}
                repository: {type: string}
                agent: {type: string}
                session: {type: string}
                time: {type: integer}
                signature:
                  type: string
                  description: >-
                    Ed25519 (the server's key), base64, over "brake-agent-record/v1\\n" and the record's compact
                    JSON without this member; present when the lookup asked for signed records
            Error:
              type: object
              required: [error]
              properties: {error: {type: string}}
            User:
              type: object
              properties: {name: {type: string}, role: {type: string}, created: {type: integer}, scope: {type: string}, email: {type: string}}
            Token:
              type: object
              properties:
                id: {type: string}
                user: {type: string}
                label: {type: string}
                created: {type: integer}
                revoked: {type: integer}
                scope: {type: string, enum: [person, agent]}
            Stop:
              type: object
              properties:
                id: {type: string}
                scope: {type: string, enum: [all, environment, repository, user, agent, session]}
                value: {type: string}
                reason: {type: string}
                created_by: {type: string}
                created: {type: integer}
                lift_role: {type: string}
                automatic: {type: boolean}
                lifted_by: {type: string}
                lifted: {type: integer}
            Action:
              type: object
              required: [kind]
              properties:
                kind: {type: string, enum: [shell, write, edit, delete, read, mcp, other]}
                command: {type: string}
                path: {type: string}
                server: {type: string}
                tool: {type: string}
                arguments: {type: string, description: the tool arguments as JSON text}
            ActionRequest:
              type: object
              description: >-
                The raw action as the hook saw it; never a verdict, a summary or a requirement (those the
                server computes with its own policy).
              required: [agent, tool, actions, context]
              properties:
                agent: {type: string}
                session: {type: string}
                tool: {type: string}
                actions: {type: array, minItems: 1, maxItems: 64, items: {$ref: '#/components/schemas/Action'}}
                context:
                  type: object
                  required: [cwd, home]
                  properties:
                    cwd: {type: string, description: an absolute path}
                    home: {type: string, description: an absolute path}
                    project_root: {type: [string, 'null']}
                    env: {type: object, additionalProperties: {type: string}}
                    user: {type: [string, 'null']}
                    kube_context: {type: [string, 'null']}
                    terraform_workspace: {type: [string, 'null']}
                    aws_profile: {type: [string, 'null']}
                    gcloud_project: {type: [string, 'null']}
                    git_branch: {type: [string, 'null']}
                    aws_accounts: {type: object, additionalProperties: {type: string}, description: profile → account id}
                    azure_subscription: {type: [string, 'null']}
                    azure_subscription_name: {type: [string, 'null']}
                repositories: {type: array, items: {type: string}}
                environment: {type: string}
                input_digest: {type: [string, 'null']}
                plan_digest: {type: [string, 'null']}
                tool_hints: {type: object, additionalProperties: {type: boolean}}
                local:
                  type: object
                  description: this machine's own verdict; the server may only tighten with it
                  properties:
                    decision: {type: string, enum: [allow, ask, deny]}
                    rules: {type: array, items: {type: string}}
            Approval:
              type: object
              properties:
                id: {type: string}
                status: {type: string, enum: [pending, approved, denied, expired, used]}
                digest: {type: string}
                summary: {type: string}
                requester: {type: string}
                agent: {type: string}
                session: {type: string}
                repository: {type: string}
                environment: {type: string}
                required:
                  type: object
                  properties: {role: {type: string}, count: {type: integer}}
                approvals: {type: integer}
                votes:
                  type: array
                  items:
                    type: object
                    properties:
                      user: {type: string}
                      role: {type: string}
                      vote: {type: string, enum: [approve, deny]}
                      reason: {type: string}
                      time: {type: integer}
                created: {type: integer}
                expires: {type: integer}
                decided: {type: integer}
                used: {type: integer}
                detail: {type: object}
            Decision:
              type: object
              required: [decision]
              properties:
                agent: {type: string}
                session: {type: string}
                tool: {type: string}
                action: {type: string, description: the redacted action as typed}
                decision: {type: string, enum: [allow, ask, deny]}
                rules: {type: array, items: {type: string}}
                labels: {type: array, items: {type: string}}
                effects: {type: array, items: {type: string}}
                digest: {type: string}
                repository: {type: string}
                environment: {type: string}
            AuditEvent:
              type: object
              properties:
                seq: {type: integer}
                prev_hash: {type: string}
                hash: {type: string, description: "SHA-256(prev_hash || canonical event), hex"}
                event: {type: object}
            Checkpoint:
              type: object
              properties:
                tree_size: {type: integer}
                head_hash: {type: string}
                time: {type: integer}
                signature: {type: string, description: "base64 Ed25519 over 'brake-audit-checkpoint/v1\\nSIZE\\nHEAD\\nTIME\\n'"}
            Verification:
              type: object
              properties:
                ok: {type: boolean}
                length: {type: integer}
                head_hash: {type: string}
                checkpoints_verified: {type: integer}
                problems: {type: array, items: {type: string}}
          responses:
            Problem:
              description: What was wrong and how to fix it
              content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}
        security:
          - token: []
        paths:
          /v1/health:
            get:
              security: []
              summary: Readiness (the database answers)
              responses: {'200': {description: ok}, '503': {description: the database does not answer}}
          /v1/openapi.yaml:
            get:
              security: []
              summary: This document
              responses: {'200': {description: the OpenAPI document}}
          /v1/me:
            get:
              summary: The user the token belongs to
              responses:
                '200': {description: the user, content: {application/json: {schema: {$ref: '#/components/schemas/User'}}}}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/judge:
            post:
              summary: >-
                Judge a raw action with the server's policy, apply stops and the circuit breaker, open or use an
                approval (waiting up to `wait` seconds for a person), and answer with a verdict signed over the
                caller's nonce
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      allOf:
                        - {$ref: '#/components/schemas/ActionRequest'}
                        - type: object
                          required: [nonce]
                          properties:
                            nonce: {type: string, minLength: 16, maxLength: 128}
                            wait: {type: number, minimum: 0}
                            elapsed_ms: {type: number, minimum: 0}
              responses:
                '200':
                  description: >-
                    the signed answer: Ed25519 over "brake-answer/v1\nNONCE\nDIGEST\nDECISION\nREQUEST_ID\nTIME" with
                    the key at /v1/audit/public-key
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          decision: {type: string, enum: [allow, ask, deny]}
                          digest: {type: string}
                          request_id: {type: string}
                          nonce: {type: string}
                          time: {type: integer}
                          signature: {type: string}
                          message: {type: string}
                          rules: {type: array, items: {type: string}}
                          request: {$ref: '#/components/schemas/Approval'}
                          stops: {type: array, items: {$ref: '#/components/schemas/Stop'}}
                          policy_etag: {type: string}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/decisions:
            post:
              summary: >-
                Record a decision a client made (reporting only: enforcement goes through /v1/judge); a stop in
                scope or a tripped circuit breaker turns it into deny
              requestBody:
                required: true
                content: {application/json: {schema: {$ref: '#/components/schemas/Decision'}}}
              responses:
                '201':
                  description: recorded; `decision` is what must be enforced
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          decision: {type: string}
                          seq: {type: integer}
                          stopped: {type: boolean}
                          stop: {$ref: '#/components/schemas/Stop'}
                          stops: {type: array, items: {$ref: '#/components/schemas/Stop'}}
                          message: {type: string}
                          policy_etag: {type: string}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/decisions/spool:
            post:
              summary: Decisions a hook made while the server was unreachable (recorded as spooled, with their time)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [reports]
                      properties:
                        reports:
                          type: array
                          maxItems: 5000
                          items:
                            allOf:
                              - {$ref: '#/components/schemas/Decision'}
                              - type: object
                                properties: {time: {type: integer}, enforced: {type: string, enum: [allow, ask, deny]}}
              responses:
                '201': {description: how many were recorded}
                '400': {$ref: '#/components/responses/Problem'}
          /v1/provenance:
            post:
              summary: What agents produced, recorded by a hook right after the tool ran (file blobs, commits)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [records]
                      properties:
                        records:
                          type: array
                          maxItems: 5000
                          items: {$ref: '#/components/schemas/AgentRecord'}
              responses:
                '201': {description: how many were recorded}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/checkpoints:
            post:
              summary: What a hook kept on its machine before a destructive step (paths and counts, never content); recorded as checkpoint audit events of the session
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [checkpoints]
                      properties:
                        checkpoints:
                          type: array
                          maxItems: 100
                          items:
                            type: object
                            required: [id, session]
                            properties:
                              id: {type: string, pattern: '^ck-[A-Za-z0-9-]{1,60}$'}
                              session: {type: string, maxLength: 256}
                              time: {type: integer}
                              agent: {type: string}
                              host: {type: string}
                              action: {type: string}
                              kept: {type: integer, minimum: 0}
                              paths: {type: array, maxItems: 20, items: {type: string}}
                              git: {type: array, maxItems: 10, items: {type: string}}
                              skipped: {type: integer, minimum: 0}
                              unresolved: {type: integer, minimum: 0}
              responses:
                '201': {description: how many were recorded}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/reports:
            get:
              summary: The oversight report (a person's token) — actions, asks, denies, stops, approval latency, observe mode, rules, per repository/team/agent/person, suggestions, commits
              parameters:
                - {name: since, in: query, schema: {type: string, pattern: '^[0-9]{1,4}d$'}, description: 'the period, e.g. 7d or 30d (default 30d)'}
                - {name: team, in: query, schema: {type: string}}
                - {name: repository, in: query, schema: {type: string}, description: 'a repository identity or glob'}
                - {name: format, in: query, schema: {type: string, enum: [json, csv, text]}}
              responses:
                '200': {description: 'the report (JSON keys in the README), or CSV, or text'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/reports/digest:
            post:
              summary: Sends the digest through the webhooks now (top role)
              parameters:
                - {name: since, in: query, schema: {type: string, pattern: '^[0-9]{1,4}d$'}}
              responses:
                '200': {description: the digest's text}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/suggestions:
            get:
              summary: Asks approved repeatedly for one shape, proposed as scoped exceptions (not yet decided)
              parameters:
                - {name: since, in: query, schema: {type: string, pattern: '^[0-9]{1,4}d$'}, description: 'requests considered (default 90d)'}
                - {name: repository, in: query, schema: {type: string}}
              responses:
                '200': {description: '{"suggestions": [{id, rule, pattern, repository, approvals, approvers, examples, yaml}]}'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/suggestions/{id}/accept:
            post:
              summary: Accept a suggestion (top role) — its exception becomes part of the server's policy, audited
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                '200': {description: 'the decision and the new policy ETag'}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/suggestions/{id}/reject:
            post:
              summary: Reject a suggestion (top role) — it is not proposed again
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                '200': {description: the decision}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/signoffs:
            get:
              summary: What gates and sign-offs reported per commit (a person's token)
              parameters:
                - {name: repository, in: query, schema: {type: string}}
                - {name: since, in: query, schema: {type: string, pattern: '^[0-9]{1,4}d$'}}
              responses:
                '200': {description: '{"commits": [...]}'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
            post:
              summary: Report commits as brake gate or brake signoff judged them, with sign-off envelopes (a person's or CI's token)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [repository, commits]
                      properties:
                        repository: {type: string, minLength: 1, maxLength: 300}
                        source: {type: string, enum: [gate, signoff, page]}
                        commits:
                          type: array
                          maxItems: 5000
                          items:
                            type: object
                            required: [commit, provenance]
                            properties:
                              commit: {type: string, pattern: '^[0-9a-fA-F]{40}$'}
                              time: {type: integer}
                              author: {type: string}
                              provenance: {type: string, enum: [ai-assisted, human, unknown]}
                              evidence: {type: array, items: {type: string}}
                              requirements: {type: array, items: {type: string}}
                              signers: {type: array, items: {type: string}}
                              missing: {type: array, items: {type: string}}
                              passed: {type: boolean}
                              added_lines: {type: integer, minimum: 0}
                              agent_lines: {type: integer, minimum: 0}
                        envelopes:
                          type: array
                          items:
                            type: object
                            required: [envelope]
                            properties:
                              commit: {type: string, pattern: '^[0-9a-fA-F]{40}$', description: 'optional; must be the commit the statement names'}
                              envelope: {type: string, description: 'a DSSE envelope as brake signoff writes it'}
              responses:
                '201': {description: how many commits were recorded}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/signoffs/lookup:
            post:
              summary: The sign-off envelopes the server holds for these commits (what brake gate reads besides the git notes)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [commits]
                      properties:
                        commits: {type: array, maxItems: 20000, items: {type: string, pattern: '^[0-9a-fA-F]{40}$'}}
              responses:
                '200': {description: '{"envelopes": {"COMMIT": ["…"]}}'}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/provenance/lookup:
            post:
              summary: The agent records of any of these blobs or commits (what brake gate asks)
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        blobs: {type: array, maxItems: 20000, items: {type: string, pattern: '^[0-9a-fA-F]{40}$'}}
                        commits: {type: array, maxItems: 20000, items: {type: string, pattern: '^[0-9a-fA-F]{40}$'}}
                        signed: {type: boolean, description: 'sign each record with the server key (for git notes)'}
              responses:
                '200':
                  description: the matching records
                  content:
                    application/json:
                      schema:
                        type: object
                        properties: {records: {type: array, items: {$ref: '#/components/schemas/AgentRecord'}}}
                '400': {$ref: '#/components/responses/Problem'}
                '401': {$ref: '#/components/responses/Problem'}
          /v1/stops/check:
            get:
              summary: Whether a stop covers this agent, session, repository or environment (and the caller)
              parameters:
                - {name: agent, in: query, schema: {type: string}}
                - {name: session, in: query, schema: {type: string}}
                - {name: repository, in: query, schema: {type: string}}
                - {name: environment, in: query, schema: {type: string}}
              responses: {'200': {description: 'stopped flag, the covering stop and all active stops'}}
          /v1/stops:
            get:
              summary: Active stop orders (all=true includes lifted ones)
              parameters: [{name: all, in: query, schema: {type: boolean}}]
              responses: {'200': {description: stops}}
            post:
              summary: Stop everyone, an environment, a repository, a user, an agent or a session
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [scope]
                      properties: {scope: {type: string}, value: {type: string}, reason: {type: string}}
              responses:
                '201': {description: the stop, content: {application/json: {schema: {$ref: '#/components/schemas/Stop'}}}}
                '400': {$ref: '#/components/responses/Problem'}
          /v1/stops/lift:
            post:
              summary: Lift every active stop of one scope and value (needs each stop's lift_role)
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [scope]
                      properties: {scope: {type: string}, value: {type: string}, reason: {type: string}}
              responses:
                '200': {description: lifted stops}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/stops/{id}/lift:
            post:
              summary: Lift one stop (needs its lift_role)
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              requestBody:
                content: {application/json: {schema: {type: object, properties: {reason: {type: string}}}}}
              responses:
                '200': {description: the lifted stop}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/approvals:
            get:
              summary: Approval requests, newest first (pending unless `status` says otherwise)
              parameters:
                - {name: status, in: query, schema: {type: string, enum: [all, pending, approved, denied, expired, used]}}
                - {name: limit, in: query, schema: {type: integer}}
              responses: {'200': {description: requests}}
            post:
              summary: >-
                Ask for approval of a raw action. The server judges it: only an action its policy asks about can
                be requested, with the digest, summary and requirement it computes. If the caller holds an
                approved, unused request for the same digest it is consumed and returned with status `used`.
              requestBody:
                content: {application/json: {schema: {$ref: '#/components/schemas/ActionRequest'}}}
              responses:
                '400': {$ref: '#/components/responses/Problem'}
                '403': {description: 'the server policy refuses this action: it cannot be approved'}
                '409': {description: 'the server policy allows this action: nothing to approve'}
                '201': {description: a new request, content: {application/json: {schema: {$ref: '#/components/schemas/Approval'}}}}
                '200': {description: 'an existing pending request, or a consumed approval (status used)'}
          /v1/plans:
            post:
              summary: >-
                Ask for approval of an infrastructure plan. The server analyses the plan itself (blast radius,
                data-loss classes, production evidence) with its own policy and binds the request to the plan
                file's digest (a change set: to what it does). A plan the policy refuses cannot be requested.
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [plan, digest]
                      properties:
                        plan: {type: string, description: the plan as JSON text}
                        digest: {type: string, description: sha256 of the plan file that will be applied}
                        binary: {type: boolean, description: the file is a binary plan (its JSON came from terraform show)}
                        format: {type: [string, 'null'], enum: [terraform, cloudformation, kubernetes, null]}
                        file: {type: string}
                        agent: {type: string}
                        session: {type: string}
                        repository: {type: string}
                        environment: {type: string}
                        context:
                          type: object
                          properties: {cwd: {type: string}, home: {type: string}, terraform_workspace: {type: string}}
              responses:
                '201': {description: a new request, content: {application/json: {schema: {$ref: '#/components/schemas/Approval'}}}}
                '200': {description: 'an existing pending request, or a consumed approval (status used)'}
                '400': {$ref: '#/components/responses/Problem'}
                '403': {description: 'the server policy refuses this plan'}
          /v1/approvals/{id}:
            get:
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              responses:
                '200': {description: the request, content: {application/json: {schema: {$ref: '#/components/schemas/Approval'}}}}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/approvals/{id}/wait:
            get:
              summary: Long-poll until the request is decided or `timeout` seconds pass
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
                - {name: timeout, in: query, schema: {type: integer}}
              responses: {'200': {description: the request as it stands}}
          /v1/approvals/{id}/approve:
            post:
              summary: Approve (needs the request's role; never the requester's own)
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              requestBody:
                content: {application/json: {schema: {type: object, properties: {reason: {type: string}}}}}
              responses:
                '200': {description: the request}
                '403': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/approvals/{id}/deny:
            post:
              summary: Deny; one deny ends the request
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              requestBody:
                content: {application/json: {schema: {type: object, properties: {reason: {type: string}}}}}
              responses:
                '200': {description: the request}
                '403': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/approvals/{id}/consume:
            post:
              summary: The requester uses an approved request once
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              responses:
                '200': {description: 'the request, now used'}
                '403': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/sessions:
            get:
              parameters: [{name: limit, in: query, schema: {type: integer}}]
              responses: {'200': {description: 'sessions, most recent first'}}
          /v1/sessions/{id}:
            get:
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
                - {name: limit, in: query, schema: {type: integer}}
              responses:
                '200': {description: the session and its recent actions}
                '404': {$ref: '#/components/responses/Problem'}
          /v1/audit:
            get:
              summary: A range of the audit log
              parameters:
                - {name: from, in: query, schema: {type: integer}}
                - {name: limit, in: query, schema: {type: integer}}
              responses:
                '200':
                  description: events from `from`
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          events: {type: array, items: {$ref: '#/components/schemas/AuditEvent'}}
                          size: {type: integer}
                          head_hash: {type: string}
          /v1/audit/verify:
            get:
              summary: Verify the whole chain and every checkpoint on the server
              responses:
                '200': {description: the report, content: {application/json: {schema: {$ref: '#/components/schemas/Verification'}}}}
          /v1/audit/public-key:
            get:
              security: []
              summary: The Ed25519 key that signs checkpoints (base64 raw key)
              responses: {'200': {description: the key}}
          /v1/audit/checkpoints:
            get:
              summary: Signed checkpoints (tree size and head hash)
              responses: {'200': {description: checkpoints and the public key}}
            post:
              summary: Sign a checkpoint now (top role)
              responses:
                '201': {description: the checkpoint, content: {application/json: {schema: {$ref: '#/components/schemas/Checkpoint'}}}}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/policy:
            get:
              summary: The organisation policy (YAML) with an ETag; send If-None-Match to get 304
              responses:
                '200': {description: the policy, content: {application/yaml: {}}}
                '304': {description: unchanged}
          /v1/users:
            get:
              responses: {'200': {description: users and the role ladder}}
            post:
              summary: Add a user (top role); the response carries the user's first token, shown once
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name, role]
                      properties: {name: {type: string}, role: {type: string}, email: {type: string}}
              responses:
                '201':
                  description: the user and token
                  content:
                    application/json:
                      schema:
                        type: object
                        properties: {user: {$ref: '#/components/schemas/User'}, token: {type: string}}
                '403': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/users/{name}:
            delete:
              summary: Remove a user (top role); their tokens are revoked, their page sessions end, their name stays in the audit log
              parameters: [{name: name, in: path, required: true, schema: {type: string}}]
              responses:
                '200':
                  description: the removed user and the tokens revoked
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          user: {type: string}
                          removed: {type: boolean}
                          revoked_tokens: {type: array, items: {type: string}}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
                '409': {$ref: '#/components/responses/Problem'}
          /v1/users/{name}/role:
            put:
              summary: Change a user's role (top role)
              parameters: [{name: name, in: path, required: true, schema: {type: string}}]
              requestBody:
                content:
                  application/json:
                    schema: {type: object, required: [role], properties: {role: {type: string}}}
              responses:
                '200': {description: the user}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/tokens:
            get:
              summary: Your tokens (all=true for everyone's, top role)
              parameters: [{name: all, in: query, schema: {type: boolean}}]
              responses: {'200': {description: 'tokens, never their secrets'}}
            post:
              summary: A new token for yourself (or for `user`, top role); shown once
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        user: {type: string}
                        label: {type: string}
                        scope: {type: string, enum: [person, agent], description: 'agent: for hooks; it may report, ask and use approvals, never decide, lift or manage'}
              responses: {'201': {description: the token and its record}}
          /v1/webhooks/deliveries:
            get:
              summary: Recent webhook deliveries with their status, attempts and last error (top role)
              responses:
                '200': {description: 'deliveries, newest first'}
                '403': {$ref: '#/components/responses/Problem'}
          /metrics:
            get:
              summary: Prometheus metrics (text format); needs a person's token (a scraper's)
              responses:
                '200': {description: metrics, content: {text/plain: {}}}
                '401': {$ref: '#/components/responses/Problem'}
                '403': {$ref: '#/components/responses/Problem'}
          /v1/tokens/{id}:
            delete:
              summary: Revoke a token (your own, or any with the top role)
              parameters: [{name: id, in: path, required: true, schema: {type: string}}]
              responses:
                '200': {description: the revoked token}
                '403': {$ref: '#/components/responses/Problem'}
                '404': {$ref: '#/components/responses/Problem'}
        """#
}
