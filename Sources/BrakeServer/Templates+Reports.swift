/// The Reports and Sign-offs pages.
extension Templates {
    static let reports = #"""
        <h1>Reports</h1>
        <form method="get" action="/ui/reports" class="card row" aria-label="Filter the report">
          <div><label for="r-since">Period</label><select id="r-since" name="since">{{#periods}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{label}}</option>{{/periods}}</select></div>
          <div><label for="r-team">Team</label><select id="r-team" name="team"><option value="">Everyone</option>{{#teams}}<option value="{{name}}" {{#selected}}selected{{/selected}}>{{name}}</option>{{/teams}}</select></div>
          <div><label for="r-repo">Repository</label><input id="r-repo" name="repository" type="text" value="{{repository}}" placeholder="github.com/acme/* (all when empty)"></div>
          <div><button type="submit">Show</button></div>
          <div><a href="/v1/reports?{{query}}&amp;format=csv">CSV</a> · <a href="/ui/signoffs">Sign-offs</a></div>
        </form>
        <section class="card" aria-labelledby="h-head"><h2 id="h-head">Headline</h2>
        <table class="figures"><tbody>
          <tr><th scope="row">Agent actions decided</th><td id="f-actions">{{actions}}</td></tr>
          <tr><th scope="row">Asks / denies</th><td id="f-asks">{{asks}} asks · {{denies}} denies · {{stopped}} refused by a stop</td></tr>
          <tr><th scope="row">Observe mode: would have asked</th><td id="f-would">{{wouldAsk}}</td></tr>
          <tr><th scope="row">Stops</th><td>{{stops}} ({{breakerTrips}} by the circuit breaker)</td></tr>
          <tr><th scope="row">Approval latency</th><td id="f-latency">p50 {{p50}} · p90 {{p90}} · {{hours}} hours waiting on people</td></tr>
          <tr><th scope="row">Asks per agent-hour</th><td>{{asksPerHour}} ({{agentHours}} agent-hours)</td></tr>
          <tr><th scope="row">Commits (sign-off reports)</th><td id="f-commits">{{commits}} · AI-assisted {{aiCommits}} ({{aiShare}}) · signed off {{signedOff}} of {{needing}} · wait p50 {{waitP50}}</td></tr>
        </tbody></table></section>
        <section class="card scroll" aria-labelledby="h-repo"><h2 id="h-repo">By repository</h2>
        {{{repoChart}}}
        <table><thead><tr><th scope="col">Repository</th><th scope="col">Actions</th><th scope="col">Asks</th><th scope="col">Denies</th><th scope="col">Would ask</th><th scope="col">Asks / agent-hour</th><th scope="col">Approval p50</th><th scope="col">p90</th></tr></thead>
        <tbody>{{#byRepository}}<tr><td>{{name}}</td><td>{{actions}}</td><td>{{asks}}</td><td>{{denies}}</td><td>{{wouldAsk}}</td><td>{{perHour}}</td><td>{{p50}}</td><td>{{p90}}</td></tr>{{/byRepository}}
        {{^byRepository}}<tr><td colspan="8" class="muted">No decisions in this period.</td></tr>{{/byRepository}}</tbody></table></section>
        <section class="card scroll" aria-labelledby="h-rules"><h2 id="h-rules">Rules that ask most</h2>
        {{{rulesChart}}}
        <table><thead><tr><th scope="col">Rule</th><th scope="col">Asks</th><th scope="col">Would ask (observe mode)</th></tr></thead>
        <tbody>{{#rules}}<tr><td><code>{{rule}}</code></td><td>{{asks}}</td><td>{{wouldAsk}}</td></tr>{{/rules}}
        {{^rules}}<tr><td colspan="3" class="muted">No asks in this period.</td></tr>{{/rules}}</tbody></table></section>
        {{#groups}}<section class="card scroll" aria-labelledby="h-{{key}}"><h2 id="h-{{key}}">By {{title}}</h2>
        <table><thead><tr><th scope="col">{{title}}</th><th scope="col">Actions</th><th scope="col">Asks</th><th scope="col">Denies</th><th scope="col">Would ask</th><th scope="col">Asks / agent-hour</th><th scope="col">Approval p50</th><th scope="col">p90</th></tr></thead>
        <tbody>{{#rows}}<tr><td>{{name}}</td><td>{{actions}}</td><td>{{asks}}</td><td>{{denies}}</td><td>{{wouldAsk}}</td><td>{{perHour}}</td><td>{{p50}}</td><td>{{p90}}</td></tr>{{/rows}}</tbody></table></section>{{/groups}}
        <section class="card" aria-labelledby="h-sug"><h2 id="h-sug">Asks that teach nothing</h2>
        <p class="muted">The same rule asked about the same shape of command in the same repository, approved every time by different people and never denied. Accepting adds the exception below to the server's policy (audited); rejecting means it is not proposed again.</p>
        {{#suggestions}}<article class="card suggestion" id="{{id}}"><h3><code>{{rule}}</code> for <code>{{pattern}}</code></h3>
        <p>{{repository}} · approved {{approvals}} times by {{approvers}}</p>
        <pre>{{yaml}}</pre>
        {{#canDecide}}<div class="row">
        <form method="post" action="/ui/reports/suggestions/{{id}}/accept"><input type="hidden" name="csrf" value="{{csrf}}"><button class="approve" type="submit">Accept {{id}}</button></form>
        <form method="post" action="/ui/reports/suggestions/{{id}}/reject"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Reject {{id}}</button></form>
        </div>{{/canDecide}}</article>{{/suggestions}}
        {{^suggestions}}<p class="muted">No suggestions: no shape of ask was approved often enough, by enough people, without a denial.</p>{{/suggestions}}
        </section>
        """#

    static let signoffs = #"""
        <h1>Sign-offs</h1>
        <form method="get" action="/ui/signoffs" class="card row" aria-label="Filter">
          <div><label for="s-repo">Repository</label><input id="s-repo" name="repository" type="text" value="{{repository}}"></div>
          <div><label for="s-since">Period</label><select id="s-since" name="since">{{#periods}}<option value="{{value}}" {{#selected}}selected{{/selected}}>{{label}}</option>{{/periods}}</select></div>
          <div><button type="submit">Show</button></div>
        </form>
        <p class="muted">What <code>brake gate</code> and <code>brake signoff</code> reported, per commit: its provenance with the evidence, what it needs, who signed, and what is missing.</p>
        <div class="card scroll"><table>
          <thead><tr><th scope="col">Commit</th><th scope="col">Repository</th><th scope="col">Provenance</th><th scope="col">Needs</th><th scope="col">Signed by</th><th scope="col">Missing</th><th scope="col">Gate</th></tr></thead>
          <tbody>{{#commits}}<tr><td><code>{{short}}</code><br><span class="muted">{{author}} · {{ago}}</span></td><td>{{repository}}</td><td>{{provenance}}<br><span class="muted">{{evidence}}</span></td><td>{{requirements}}</td><td>{{signers}}</td><td>{{missing}}</td><td>{{#passed}}<span class="pill ok">passes</span>{{/passed}}{{^passed}}<span class="pill warn">held</span>{{/passed}}</td></tr>{{/commits}}
          {{^commits}}<tr><td colspan="7" class="muted">No sign-off reports in this period.</td></tr>{{/commits}}</tbody>
        </table></div>
        <form method="post" action="/ui/signoffs" class="card">
          <h2>Record sign-offs for a range</h2>
          <p class="muted">The signer's key still signs: run <code>brake signoff BASE..HEAD</code> and paste what it wrote, one envelope per line (<code>git log --format=%H BASE..HEAD | xargs -n1 git notes --ref=brake-signoffs show</code>). Each is filed under the commit it names; gates check it against the roster's keys like any other.</p>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="e-repo">Repository</label><input id="e-repo" name="repository" type="text" value="{{repository}}">
          <label for="e-env">Envelopes (one per line)</label><textarea id="e-env" name="envelopes"></textarea>
          <p><button class="primary" type="submit">Record</button></p>
        </form>
        """#
}
