/// The approver's page: Mustache templates (server-rendered; no external assets, works offline).
enum Templates {
    static let layout = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Brake</title>
        <style>
        :root { --fg:#1b1f24; --muted:#5b6570; --line:#d6dbe0; --bg:#f6f7f9; --accent:#0b57d0; --stop:#b3261e; --ok:#1e7d32; }
        * { box-sizing: border-box; }
        body { margin:0; font:16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
        a { color:var(--accent); }
        :focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
        .skip { position:absolute; left:-999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px; z-index:9; }
        header { background:#fff; border-bottom:1px solid var(--line); padding:8px 16px; display:flex; flex-wrap:wrap; gap:8px 16px; align-items:center; }
        header .brand { font-weight:700; font-size:18px; margin-right:8px; }
        nav a { display:inline-block; padding:8px 6px; text-decoration:none; }
        nav a[aria-current=page] { font-weight:700; text-decoration:underline; }
        header .who { margin-left:auto; color:var(--muted); font-size:14px; display:flex; gap:8px; align-items:center; }
        main { max-width:1100px; margin:0 auto; padding:16px; }
        h1 { font-size:22px; margin:8px 0 16px; } h2 { font-size:18px; margin:24px 0 8px; }
        .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:16px; margin-bottom:16px; }
        .scroll { overflow-x:auto; }
        table { border-collapse:collapse; width:100%; font-size:15px; }
        th, td { text-align:left; padding:8px; border-bottom:1px solid var(--line); vertical-align:top; }
        th { font-size:13px; text-transform:uppercase; letter-spacing:.03em; color:var(--muted); }
        code, pre { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:14px; background:#f0f2f4; padding:1px 4px; border-radius:4px; word-break:break-all; white-space:pre-wrap; }
        label { display:block; font-weight:600; margin:8px 0 4px; }
        input[type=text], input[type=password], select, textarea { width:100%; max-width:480px; font:inherit; padding:8px; border:1px solid #9aa3ad; border-radius:6px; background:#fff; }
        textarea { min-height:64px; }
        button { font:inherit; padding:10px 16px; border-radius:6px; border:1px solid #9aa3ad; background:#fff; cursor:pointer; min-height:44px; }
        button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
        button.approve { background:var(--ok); color:#fff; border-color:var(--ok); }
        button.danger, button.stop { background:var(--stop); color:#fff; border-color:var(--stop); }
        button.stop { font-size:20px; font-weight:700; padding:16px 24px; width:100%; max-width:480px; }
        .row { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-end; }
        .pill { display:inline-block; padding:1px 8px; border-radius:999px; font-size:13px; background:#e8eaed; margin:1px 2px 1px 0; }
        .pill.warn { background:#fde7e4; color:#8c1d18; } .pill.ok { background:#e2f4e5; color:#14591f; }
        .muted { color:var(--muted); font-size:14px; }
        .flash { background:#e2f4e5; border:1px solid #9bd3a5; padding:10px 12px; border-radius:6px; margin-bottom:16px; }
        .error { background:#fde7e4; border:1px solid #f3a59c; padding:10px 12px; border-radius:6px; margin-bottom:16px; }
        .banner-bad { background:#fde7e4; border:1px solid #f3a59c; padding:10px 12px; border-radius:6px; }
        svg.chart { max-width:640px; display:block; margin:8px 0; } .suggestion pre { max-width:100%; }
        .banner-ok { background:#e2f4e5; border:1px solid #9bd3a5; padding:10px 12px; border-radius:6px; }
        @media (max-width:640px) { main { padding:10px; } th, td { padding:6px; } header .who { margin-left:0; } }
        </style>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        {{#user}}
        <header>
          <span class="brand">Brake</span>
          <nav aria-label="Main">
            <a href="/ui" {{#navPending}}aria-current="page"{{/navPending}}>Pending</a>
            <a href="/ui/stops" {{#navStops}}aria-current="page"{{/navStops}}>Stop</a>
            <a href="/ui/sessions" {{#navSessions}}aria-current="page"{{/navSessions}}>Sessions</a>
            <a href="/ui/audit" {{#navAudit}}aria-current="page"{{/navAudit}}>Audit</a>
            <a href="/ui/reports" {{#navReports}}aria-current="page"{{/navReports}}>Reports</a>
            {{#isAdmin}}<a href="/ui/admin" {{#navAdmin}}aria-current="page"{{/navAdmin}}>Admin</a>{{/isAdmin}}
          </nav>
          <div class="who"><span>{{name}} ({{role}})</span>
            <form method="post" action="/ui/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Sign out</button></form>
          </div>
        </header>
        {{/user}}
        <main id="main">
        {{#flash}}<div class="flash" role="status">{{flash}}</div>{{/flash}}
        {{#error}}<div class="error" role="alert">{{error}}</div>{{/error}}
        {{{body}}}
        </main>
        {{#script}}<script nonce="{{nonce}}">{{{script}}}</script>{{/script}}
        </body>
        </html>
        """#

    static let login = #"""
        <h1>Sign in to Brake</h1>
        <div class="card">
        <form method="post" action="/ui/login">
          <label for="token">API token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus
                 aria-describedby="token-help">
          <p id="token-help" class="muted">Your token from <code>brake users add</code> or <code>brake tokens create</code>. It is exchanged for a session cookie; the page never stores it.</p>
          <button class="primary" type="submit">Sign in</button>
        </form>
        </div>
        """#

    static let pendingRows = #"""
        {{#requests}}
        <tr>
          <td><a href="/ui/requests/{{id}}">{{id}}</a></td>
          <td>{{requester}}</td>
          <td>{{agent}}{{#session}}<br><span class="muted">session {{session}}</span>{{/session}}</td>
          <td><code>{{summary}}</code></td>
          <td>{{#labels}}<span class="pill warn">{{.}}</span>{{/labels}}{{#rules}}<span class="pill">{{.}}</span>{{/rules}}</td>
          <td>{{needs}}</td>
          <td>{{waiting}}</td>
        </tr>
        {{/requests}}
        {{^requests}}<tr><td colspan="7" class="muted">Nothing is waiting for a person.</td></tr>{{/requests}}
        """#

    static let pending = #"""
        <h1>Pending approvals</h1>
        <div class="card scroll">
        <table>
          <caption class="muted" style="text-align:left">Updates every 3 seconds.</caption>
          <thead><tr><th scope="col">Request</th><th scope="col">Who asks</th><th scope="col">Agent · session</th><th scope="col">Action</th><th scope="col">Risk · rules</th><th scope="col">Needs</th><th scope="col">Waiting</th></tr></thead>
          <tbody id="pending" aria-live="polite">{{{rows}}}</tbody>
        </table>
        </div>
        """#

    static let pendingScript = #"""
        setInterval(function () {
          fetch('/ui/pending.fragment', {credentials: 'same-origin'}).then(function (r) {
            if (r.ok) { return r.text(); } throw new Error(r.status);
          }).then(function (html) {
            var t = document.getElementById('pending'); if (t.innerHTML !== html) { t.innerHTML = html; }
          }).catch(function () {});
        }, 3000);
        """#

    static let request = #"""
        <h1>Request {{id}} <span class="pill {{statusClass}}">{{status}}</span></h1>
        <div class="card">
          <p><strong>{{requester}}</strong> via <strong>{{agent}}</strong>{{#session}} (session <a href="/ui/sessions/{{session}}">{{session}}</a>){{/session}} asks to run:</p>
          <pre>{{summary}}</pre>
          {{#repository}}<p class="muted">Repository {{repository}}</p>{{/repository}}
          {{#environment}}<p class="muted">Environment {{environment}}</p>{{/environment}}
          {{#hasCommands}}<h2>Each command Brake found</h2><ul>{{#commands}}<li><code>{{.}}</code></li>{{/commands}}</ul>{{/hasCommands}}
          <h2>Why it needs a person</h2>
          <ul>{{#reasons}}<li><span class="pill">{{rule}}</span> {{message}}</li>{{/reasons}}</ul>
          {{#hasLabels}}<p>{{#labels}}<span class="pill warn">{{.}}</span>{{/labels}}</p>{{/hasLabels}}
          <p>Needs <strong>{{count}} × {{role}}</strong> · approvals so far: {{approvals}} · asked {{waiting}} · expires {{expiresIn}}</p>
        </div>
        {{#plan}}
        <div class="card scroll">
          <h2>Blast radius</h2>
          <p>{{#counts}}<span class="pill">{{n}} {{action}}</span>{{/counts}} {{#destroyed}}· destroys {{destroyed}} of managed resources{{/destroyed}}</p>
          <table>
            <thead><tr><th scope="col">Resource</th><th scope="col">Change</th><th scope="col">Data loss</th><th scope="col">Evidence</th></tr></thead>
            <tbody>{{#changes}}<tr><td><code>{{address}}</code></td><td>{{action}}</td><td>{{#dataLoss}}<span class="pill warn">{{dataLoss}}</span>{{/dataLoss}}</td><td>{{evidence}}</td></tr>{{/changes}}</tbody>
          </table>
        </div>
        {{/plan}}
        <div class="card">
          <h2>Decisions</h2>
          <ul>{{#votes}}<li><strong>{{user}}</strong> ({{role}}) {{vote}}d{{#reason}}: {{reason}}{{/reason}}</li>{{/votes}}{{^votes}}<li class="muted">Nobody has decided yet.</li>{{/votes}}</ul>
          {{#canDecide}}
          <form method="post" action="/ui/requests/{{id}}/decide">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label for="reason">Reason (recorded in the audit log{{#agentSees}}, shown to the agent on a deny{{/agentSees}})</label>
            <textarea id="reason" name="reason"></textarea>
            <div class="row" style="margin-top:12px">
              {{#canApprove}}<button class="approve" type="submit" name="decision" value="approve">Approve</button>{{/canApprove}}
              <button class="danger" type="submit" name="decision" value="deny">Deny</button>
            </div>
            {{^canApprove}}<p class="muted">{{approveNote}}</p>{{/canApprove}}
          </form>
          {{/canDecide}}
          {{^canDecide}}<p class="muted">{{decideNote}}</p>{{/canDecide}}
        </div>
        {{#hasRecent}}
        <div class="card scroll">
          <h2>The session's recent actions</h2>
          <table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">What</th><th scope="col">Decision</th></tr></thead>
          <tbody>{{#recent}}<tr><td>{{seq}}</td><td>{{ago}}</td><td><code>{{what}}</code></td><td>{{decision}}</td></tr>{{/recent}}</tbody></table>
        </div>
        {{/hasRecent}}
        """#

    static let stops = #"""
        <h1>Stop agents</h1>
        <div class="card">
          <form method="post" action="/ui/stops">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="scope" value="all">
            <label for="all-reason">Reason</label>
            <input id="all-reason" name="reason" type="text" placeholder="What is happening">
            <p><button class="stop" type="submit">Stop every agent now</button></p>
          </form>
        </div>
        <div class="card">
          <h2>Stop part of them</h2>
          <form method="post" action="/ui/stops">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <div class="row">
              <div><label for="scope">What to stop</label>
                <select id="scope" name="scope">
                  <option value="environment">an environment</option><option value="repository">a repository</option>
                  <option value="user">a user's agents</option><option value="agent">an agent</option>
                  <option value="session">a session</option>
                </select></div>
              <div style="flex:1"><label for="value">Which one</label><input id="value" name="value" type="text" required placeholder="production, github.com/acme/shop, alice, claude-code, a session id"></div>
            </div>
            <label for="part-reason">Reason</label><input id="part-reason" name="reason" type="text">
            <p><button class="danger" type="submit">Stop</button></p>
          </form>
        </div>
        <div class="card scroll">
          <h2>In force</h2>
          <table><thead><tr><th scope="col">Scope</th><th scope="col">By</th><th scope="col">Reason</th><th scope="col">Since</th><th scope="col">Lift</th></tr></thead>
          <tbody>
          {{#stops}}<tr><td><strong>{{describe}}</strong>{{#automatic}} <span class="pill warn">circuit breaker</span>{{/automatic}}</td><td>{{createdBy}}</td><td>{{reason}}</td><td>{{ago}}</td>
          <td>{{#canLift}}<form method="post" action="/ui/stops/{{id}}/lift"><input type="hidden" name="csrf" value="{{csrf}}"><label for="lift-{{id}}" class="muted">Reason</label><input id="lift-{{id}}" name="reason" type="text"><button type="submit">Lift stop</button></form>{{/canLift}}{{^canLift}}<span class="muted">needs {{liftRole}}</span>{{/canLift}}</td></tr>{{/stops}}
          {{^stops}}<tr><td colspan="5" class="muted">No stops in force.</td></tr>{{/stops}}
          </tbody></table>
        </div>
        """#

    static let sessions = #"""
        <h1>Sessions</h1>
        <form method="get" action="/ui/sessions" class="card row">
          <div><label for="f-user">User</label><input id="f-user" name="user" type="text" value="{{fUser}}"></div>
          <div><label for="f-agent">Agent</label><input id="f-agent" name="agent" type="text" value="{{fAgent}}"></div>
          <div><button type="submit">Filter</button></div>
        </form>
        <div class="card scroll"><table>
          <thead><tr><th scope="col">Session</th><th scope="col">User</th><th scope="col">Agent</th><th scope="col">Repository</th><th scope="col">Actions</th><th scope="col">Refused</th><th scope="col">Last seen</th></tr></thead>
          <tbody>{{#sessions}}<tr><td><a href="/ui/sessions/{{id}}">{{id}}</a></td><td>{{user}}</td><td>{{agent}}</td><td>{{repository}}</td><td>{{actions}}</td><td>{{refused}}</td><td>{{ago}}</td></tr>{{/sessions}}
          {{^sessions}}<tr><td colspan="7" class="muted">No sessions match.</td></tr>{{/sessions}}</tbody>
        </table></div>
        """#

    static let session = #"""
        <h1>Session {{id}}</h1>
        <p class="muted">{{user}} · {{agent}} · {{actions}} actions · {{refused}} refused</p>
        <form method="post" action="/ui/stops" class="card">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="scope" value="session"><input type="hidden" name="value" value="{{id}}">
          <label for="s-reason">Reason</label><input id="s-reason" name="reason" type="text">
          <p><button class="danger" type="submit">Stop this session</button></p>
        </form>
        {{#hasUndo}}<section class="card scroll" aria-labelledby="undo-h"><h2 id="undo-h">What can be undone</h2>
        <p class="muted">Brake kept these before the agent's destructive steps, on the agent's machine. A person there runs <code>brake undo --session {{id}}</code> (or <code>brake undo ID</code>; <code>--dry-run</code> first).</p>
        <table><thead><tr><th scope="col">Checkpoint</th><th scope="col">When</th><th scope="col">Host</th><th scope="col">Step</th><th scope="col">Kept</th></tr></thead>
        <tbody>{{#undo}}<tr><td><code>{{checkpoint}}</code></td><td>{{ago}}</td><td>{{host}}</td><td><code>{{action}}</code></td><td>{{kept}}<br><span class="muted">{{paths}}</span></td></tr>{{/undo}}</tbody></table></section>{{/hasUndo}}
        <div class="card scroll"><table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Kind</th><th scope="col">What</th><th scope="col">Decision</th></tr></thead>
        <tbody>{{#events}}<tr><td>{{seq}}</td><td>{{ago}}</td><td>{{kind}}</td><td><code>{{what}}</code></td><td>{{decision}}</td></tr>{{/events}}</tbody></table></div>
        """#

    static let audit = #"""
        <h1>Audit log</h1>
        <p class="{{#ok}}banner-ok{{/ok}}{{^ok}}banner-bad{{/ok}}" role="status">{{verification}}</p>
        {{#hasProblems}}<ul>{{#problems}}<li>{{.}}</li>{{/problems}}</ul>{{/hasProblems}}
        <form method="get" action="/ui/audit" class="card row">
          <div><label for="a-kind">Kind</label><input id="a-kind" name="kind" type="text" value="{{fKind}}" placeholder="decision, approval.approved, stop.created"></div>
          <div><label for="a-actor">Actor</label><input id="a-actor" name="actor" type="text" value="{{fActor}}"></div>
          <div><label for="a-session">Session</label><input id="a-session" name="session" type="text" value="{{fSession}}"></div>
          <div><button type="submit">Filter</button></div>
        </form>
        <div class="card scroll"><table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Actor</th><th scope="col">Event</th></tr></thead>
        <tbody>{{#events}}<tr><td>{{seq}}</td><td>{{ago}}</td><td>{{kind}}</td><td>{{actor}}</td><td>{{text}}</td></tr>{{/events}}
        {{^events}}<tr><td colspan="5" class="muted">No events match.</td></tr>{{/events}}</tbody></table></div>
        """#

    static let notFound = #"""
        <h1>Not found</h1>
        <p>There is no page at <code>{{path}}</code>.</p>
        <p><a href="/ui">Pending requests</a> · <a href="/ui/stops">Stop</a> · <a href="/ui/sessions">Sessions</a> · <a href="/ui/audit">Audit</a></p>
        """#

    static let admin = #"""
        <h1>Admin</h1>
        {{#newToken}}<div class="flash" role="status">Token for {{newTokenUser}} (shown once): <code>{{newToken}}</code></div>{{/newToken}}
        <div class="card scroll">
          <h2>Users</h2>
          <table><thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Change role</th></tr></thead><tbody>
          {{#users}}<tr><td>{{name}}</td><td>{{role}}</td><td><form method="post" action="/ui/admin/users/{{name}}/role" class="row"><input type="hidden" name="csrf" value="{{csrf}}"><label for="role-{{name}}" class="muted">New role for {{name}}</label><select id="role-{{name}}" name="role">{{#roles}}<option value="{{.}}">{{.}}</option>{{/roles}}</select><button type="submit">Set role</button></form></td></tr>{{/users}}
          </tbody></table>
          <h2>Add a person</h2>
          <form method="post" action="/ui/admin/users" class="row">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <div><label for="new-name">Name</label><input id="new-name" name="name" type="text" required></div>
            <div><label for="new-role">Role</label><select id="new-role" name="role">{{#roles}}<option value="{{.}}">{{.}}</option>{{/roles}}</select></div>
            <div><button class="primary" type="submit">Add user</button></div>
          </form>
        </div>
        <div class="card scroll">
          <h2>Tokens</h2>
          <table><thead><tr><th scope="col">Id</th><th scope="col">User</th><th scope="col">Label</th><th scope="col">State</th><th scope="col"></th></tr></thead><tbody>
          {{#tokens}}<tr><td>{{id}}</td><td>{{user}}</td><td>{{label}}</td><td>{{state}}</td><td>{{#active}}<form method="post" action="/ui/admin/tokens/{{id}}/revoke"><input type="hidden" name="csrf" value="{{csrf}}"><button class="danger" type="submit" aria-label="Revoke token {{id}} of {{user}}">Revoke</button></form>{{/active}}</td></tr>{{/tokens}}
          </tbody></table>
          <h2>New token</h2>
          <form method="post" action="/ui/admin/tokens" class="row">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <div><label for="t-user">For user</label><select id="t-user" name="user">{{#users}}<option value="{{name}}">{{name}}</option>{{/users}}</select></div>
            <div><label for="t-label">Label</label><input id="t-label" name="label" type="text" placeholder="laptop, CI"></div>
            <div><button type="submit">Create token</button></div>
          </form>
        </div>
        <div class="card scroll">
          <h2>Webhook deliveries</h2>
          <table><thead><tr><th scope="col">Event</th><th scope="col">URL</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th></tr></thead><tbody>
          {{#deliveries}}<tr><td>{{event}}</td><td>{{url}}</td><td><span class="pill {{statusClass}}">{{status}}</span></td><td>{{attempts}}</td><td>{{lastError}}</td></tr>{{/deliveries}}
          {{^deliveries}}<tr><td colspan="5" class="muted">{{webhookNote}}</td></tr>{{/deliveries}}
          </tbody></table>
        </div>
        """#
}
