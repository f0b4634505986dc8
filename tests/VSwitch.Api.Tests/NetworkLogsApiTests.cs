using System.Net;

namespace VSwitch.Api.Tests;

/// <summary><c>/v2.0/log/logs</c>: Neutron's logging extension contract.</summary>
public sealed class NetworkLogsApiTests : ApiHostTest
{
    [Fact]
    public async Task Crud_ShapesFiltersAndFields()
    {
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "web"}}""");
        var log = await _client.CreateAsync("log/logs", "log",
            $$$"""{"log": {"name": "l1", "resource_type": "security_group", "resource_id": "{{{group["id"]}}}", "event": "DROP"}}""");
        var id = (string)log["id"]!;
        Assert.Equal(("l1", "security_group", (string?)group["id"], null, "DROP", true, "admin", 0L),
            ((string?)log["name"], (string?)log["resource_type"], (string?)log["resource_id"], (string?)log["target_id"], (string?)log["event"],
             (bool)log["enabled"]!, (string?)log["project_id"], (long)log["revision_number"]!));
        Assert.NotNull((string?)log["created_at"]);
        Assert.Equal("", (string?)log["description"]);

        var all = await _client.CreateAsync("log/logs", "log", """{"log": {"resource_type": "security_group"}}""");
        Assert.Equal("ALL", (string?)all["event"]);

        var list = await _client.GetJson("v2.0/log/logs?event=DROP&fields=id&fields=event");
        var only = Assert.Single(list.Body!["logs"]!.AsArray())!.AsObject();
        Assert.Equal([("id", id), ("event", "DROP")], only.Select(p => (p.Key, (string)p.Value!)));

        var shown = await _client.GetJson($"v2.0/log/logs/{id}");
        Assert.Equal(HttpStatusCode.OK, shown.Status);
        Assert.Equal(id, (string?)shown.Body!["log"]!["id"]);

        var updated = await _client.PutJson($"v2.0/log/logs/{id}", """{"log": {"name": "l2", "description": "d", "enabled": false}}""");
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal(("l2", "d", false, 1L), ((string?)updated.Body!["log"]!["name"], (string?)updated.Body["log"]!["description"],
            (bool)updated.Body["log"]!["enabled"]!, (long)updated.Body["log"]!["revision_number"]!));
        Http.AssertError(await _client.PutJson($"v2.0/log/logs/{id}", """{"log": {"event": "ALL"}}"""), HttpStatusCode.BadRequest, "HTTPBadRequest");

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/log/logs/{id}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/log/logs/{id}"), HttpStatusCode.NotFound, "LogResourceNotFound");
        Http.AssertError(await _client.GetJson("v2.0/log/logs/not-a-uuid"), HttpStatusCode.NotFound, "LogResourceNotFound");
        Http.AssertError(await _client.DeleteJson($"v2.0/log/logs/{id}"), HttpStatusCode.NotFound, "LogResourceNotFound");
    }

    [Fact]
    public async Task Create_Refusals_AreNeutrons()
    {
        var net = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}""");
        var port = await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net["id"]}}}"}}""");
        Http.AssertError(await _client.PostJson("v2.0/log/logs", """{"log": {"name": "x"}}"""), HttpStatusCode.BadRequest, "HTTPBadRequest");
        Http.AssertError(await _client.PostJson("v2.0/log/logs", """{"log": {"resource_type": "firewall_group"}}"""), HttpStatusCode.BadRequest, "InvalidLogResourceType");
        Http.AssertError(await _client.PostJson("v2.0/log/logs", """{"log": {"resource_type": "security_group", "event": "NONE"}}"""), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.PostJson("v2.0/log/logs", """{"log": {"resource_type": "security_group", "bogus": 1}}"""), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.PostJson("v2.0/log/logs", $$$"""{"log": {"resource_type": "security_group", "resource_id": "{{{Guid.NewGuid()}}}"}}"""),
            HttpStatusCode.NotFound, "ResourceNotFound");
        Http.AssertError(await _client.PostJson("v2.0/log/logs", $$$"""{"log": {"resource_type": "security_group", "target_id": "{{{Guid.NewGuid()}}}"}}"""),
            HttpStatusCode.NotFound, "TargetResourceNotFound");
        Http.AssertError(await _client.PostJson("v2.0/log/logs",
            $$$"""{"log": {"resource_type": "security_group", "resource_id": "{{{group["id"]}}}", "target_id": "{{{port["id"]}}}"}}"""),
            HttpStatusCode.BadRequest, "InvalidResourceConstraint");

        // A log on a port goes with the port.
        var log = await _client.CreateAsync("log/logs", "log", $$$"""{"log": {"resource_type": "security_group", "target_id": "{{{port["id"]}}}"}}""");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/ports/{port["id"]}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/log/logs/{log["id"]}"), HttpStatusCode.NotFound, "LogResourceNotFound");
    }

    [Fact]
    public async Task Extension_AndLoggableResources_AreListed()
    {
        var extension = await _client.GetJson("v2.0/extensions/logging");
        Assert.Equal(HttpStatusCode.OK, extension.Status);
        Assert.Equal("Logging API Extension", (string?)extension.Body!["extension"]!["name"]);
        var types = await _client.GetJson("v2.0/log/loggable-resources");
        Assert.Equal("security_group", (string?)Assert.Single(types.Body!["loggable_resources"]!.AsArray())!["type"]);
    }

    [Fact]
    public async Task Logs_SurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-").FullName;
        try
        {
            string id;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                id = (string)(await client.CreateAsync("log/logs", "log", """{"log": {"name": "kept", "resource_type": "security_group", "event": "ACCEPT"}}"""))["id"]!;
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            var shown = await again.GetJson($"v2.0/log/logs/{id}");
            Assert.Equal(HttpStatusCode.OK, shown.Status);
            Assert.Equal(("kept", "ACCEPT"), ((string?)shown.Body!["log"]!["name"], (string?)shown.Body["log"]!["event"]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
