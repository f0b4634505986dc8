using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace VSwitch.Api.Tests;

/// <summary>
/// Thousands of malformed requests to every endpoint: no answer is a 5xx, none hangs, every refusal is a NeutronError,
/// and a refused request changes nothing (neither the applied model nor what a restart reads back from the store).
/// </summary>
/// <remarks>
/// The requests are made from valid ones by a seeded generator (the seed is printed, and a failure names the request),
/// so a failure reproduces (<c>VSWITCH_FUZZ_SEED=N VSWITCH_FUZZ_ROUNDS=M dotnet test ... --filter MalformedRequests</c>). Mutations: broken JSON, lone surrogate escapes in values and member names, invalid UTF-8,
/// huge and fractional numbers, deep nesting, wrong types in every attribute, odd paths and methods, and over-long
/// headers and query strings.
/// </remarks>
public sealed class MalformedRequestsTests(ITestOutputHelper output)
{
    /// <summary>The generator's seed and length: fixed for CI, or VSWITCH_FUZZ_SEED and VSWITCH_FUZZ_ROUNDS for a longer hunt.</summary>
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("VSWITCH_FUZZ_SEED"), out var seed) ? seed : 20261202;

    private static readonly int Rounds = int.TryParse(Environment.GetEnvironmentVariable("VSWITCH_FUZZ_ROUNDS"), out var rounds) ? rounds : 4000;

    private static readonly string[] s_evil =
    [
        "null", "true", "0", "-1", "1e400", "-1e400", "99999999999999999999999", "0.5", "\"\"", "\"\\ud800\"", "\"a\\udc00b\"",
        "\"\\u0000\"", "[]", "{}", "[null]", "[{}]", "{\"a\": 1}", "\"" + new string('x', 5000) + "\"", "\"not-a-uuid\"",
        "\"00000000-0000-0000-0000-000000000000\"", "[\"\\ud800\"]", "\"198.18.0.1/99\"", "\"::ffff:1.2.3.4\"", "65536", "\"65536\"",
    ];

    private static readonly string[] s_methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO"];

    [Fact]
    public async Task ThousandsOfMalformedRequests_NoServerError_NoHang_NoChangeWhenRefused()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-fuzz-").FullName;
        try
        {
            string before;
            await using (var host = await ApiHost.StartAsync(dir))
            {
                using var client = host.Client();
                client.Timeout = TimeSpan.FromSeconds(20);
                var targets = await CreateObjects(client);
                output.WriteLine($"seed {Seed}, {Rounds} rounds");
                var random = new Random(Seed);
                var counts = new SortedDictionary<int, int>();
                for (var round = 0; round < Rounds; round++)
                {
                    var (method, path, body) = Request(random, targets);
                    var model = host.Models.Current;
                    // Kestrel answers 431 to an over-long header and closes at once, so such a request carries no body (whose
                    // sending would fail on the closed connection before the answer could be read).
                    var longHeader = random.Next(40) == 0 && body is null;
                    int status;
                    string text;
                    try
                    {
                        (status, text) = await Send(client, method, path, body, longHeader);
                    }
                    catch (HttpRequestException ex) when (body is not null)
                    {
                        // Kestrel refuses some requests at the protocol level (a NUL or invalid UTF-8 in the path) and
                        // closes the connection at once, which can break the sending of a body. Then the same request
                        // without a body must show that refusal.
                        (status, text) = await Send(client, method, path, null, longHeader);
                        Assert.True(status is >= 400 and < 500, $"round {round}: {method} {path}: {ex.Message}, and without the body {status} {text}");
                    }
                    counts[status] = counts.GetValueOrDefault(status) + 1;
                    var what = $"round {round}: {method} {path} {Shorten(body)} -> {status} {Shorten(text)}";
                    Assert.True(status < 500, what);
                    if (status >= 400)
                    {
                        Assert.Same(model, host.Models.Current);
                        if (method != "HEAD" && text.Length > 0)
                        {
                            Assert.True(JsonNode.Parse(text)?["NeutronError"]?["type"] is not null, what);
                        }
                    }
                }
                output.WriteLine(string.Join(", ", counts.Select(c => $"{c.Key}: {c.Value}")));
                Assert.True(counts.Keys.Count(k => k >= 400) >= 3, "the mutations should meet several kinds of refusal");
                before = await Snapshot(client);
            }
            await using var again = await ApiHost.StartAsync(dir);
            using var reread = again.Client();
            Assert.Equal(before, await Snapshot(reread));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("v2.0")]
    [InlineData("v2.0/")]
    [InlineData("v2.0/ports/..")]
    public async Task ResourcesDocument_IsServedOnEverySpelling(string path)
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client();
        var (status, body) = await client.GetJson(path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(body!["resources"]!.AsArray(), r => (string?)r!["collection"] == "security-groups");
        using var tcp = host.TcpClient(null);
        Http.AssertError(await tcp.GetJson(path), HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("""{"network": {"name": "\ud800"}}""")]
    [InlineData("""{"network": {"name": "ok", "description": "a\udfffb"}}""")]
    [InlineData("""{"network": {"\ud800": 1}}""")]
    [InlineData("""{"\ud800": {}}""")]
    public async Task LoneSurrogate_Is400(string json)
    {
        await using var host = await ApiHost.StartAsync();
        using var client = host.Client();
        var message = Http.AssertError(await client.PostJson("v2.0/networks", json), HttpStatusCode.BadRequest, "HTTPBadRequest");
        Assert.Contains("surrogate", message);
        Assert.Empty(host.Models.Current.Networks);
    }

    /// <summary>Valid objects of every kind; returns the request templates and ids the generator mutates.</summary>
    private static async Task<Targets> CreateObjects(HttpClient client)
    {
        var net = (string)(await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var group = (string)(await client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
        var rule = (string)(await client.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22}}"""))["id"]!;
        var port = (string)(await client.CreateAsync("ports", "port",
            $$$"""{"port": {"network_id": "{{{net}}}", "binding:profile": {"device": "memory:f"}, "security_groups": ["{{{group}}}"], "fixed_ips": [{"ip_address": "198.18.0.9"}]}}"""))["id"]!;
        var subnet = (string)(await client.CreateAsync("subnets", "subnet",
            $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 4, "cidr": "198.18.0.0/24"}}"""))["id"]!;
        var addressGroup = (string)(await client.CreateAsync("address-groups", "address_group", """{"address_group": {"name": "a", "addresses": ["198.18.0.0/24"]}}"""))["id"]!;
        var rbac = (string)(await client.CreateAsync("rbac-policies", "rbac_policy",
            $$$"""{"rbac_policy": {"object_type": "security_group", "object_id": "{{{group}}}", "action": "access_as_shared", "target_tenant": "p9"}}"""))["id"]!;
        var log = (string)(await client.CreateAsync("log/logs", "log",
            $$$"""{"log": {"name": "l", "resource_type": "security_group", "resource_id": "{{{group}}}"}}"""))["id"]!;
        return new Targets(
        [
            new("networks", net, """{"network": {"name": "n2", "admin_state_up": true, "mtu": 1400, "description": "d"}}"""),
            new("security-groups", group, """{"security_group": {"name": "g2", "description": "d", "stateful": true}}"""),
            new("security-group-rules", rule,
                $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "egress", "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_ip_prefix": "198.18.0.0/16"}}"""),
            new("ports", port,
                $$$"""{"port": {"network_id": "{{{net}}}", "name": "p", "mac_address": "fa:16:3e:00:00:09", "binding:profile": {"device": "memory:g"}, "security_groups": ["{{{group}}}"], "fixed_ips": [{"ip_address": "198.18.0.10"}], "allowed_address_pairs": [{"ip_address": "198.18.1.0/24"}], "port_security_enabled": true}}"""),
            new("subnets", subnet,
                $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 4, "cidr": "198.18.4.0/24", "name": "s2", "gateway_ip": "198.18.4.1", "allocation_pools": [{"start": "198.18.4.10", "end": "198.18.4.20"}], "dns_nameservers": ["198.18.0.53"], "host_routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.4.254"}], "enable_dhcp": true}}"""),
            new("log/logs", log, $$$"""{"log": {"name": "l2", "resource_type": "security_group", "resource_id": "{{{group}}}", "event": "DROP", "enabled": true}}"""),
            new($"networks/{net}/tags", "red", """{"tags": ["red", "blue"]}"""),
            new("default-security-group-rules", null,
                """{"default_security_group_rule": {"direction": "ingress", "protocol": "tcp", "port_range_min": 8, "port_range_max": 9, "used_in_default_sg": true}}"""),
            new("address-groups", addressGroup, """{"address_group": {"name": "a2", "description": "d", "addresses": ["198.18.1.0/24", "2001:db8::/48"]}}"""),
            new($"address-groups/{addressGroup}", "add_addresses", """{"addresses": ["198.18.9.0/24"]}"""),
            new("rbac-policies", rbac, $$$"""{"rbac_policy": {"object_type": "security_group", "object_id": "{{{group}}}", "action": "access_as_shared", "target_tenant": "p8"}}"""),
            new("quotas", "p1", """{"quota": {"security_group": 20, "port": 10, "force": true}}"""),
            new("vswitch/trace", null, $$$"""{"port_id": "{{{port}}}", "packet": "tcp 198.18.0.10:40000 > 198.18.0.9:22"}"""),
        ]);
    }

    private static (string Method, string Path, string? Body) Request(Random random, Targets targets)
    {
        var target = targets.All[random.Next(targets.All.Length)];
        var id = random.Next(4) switch
        {
            0 => Guid.NewGuid().ToString(),
            1 => Pick(random, ["..", "%2e%2e", "x", "%00", new string('a', 3000), "00000000-0000-0000-0000-000000000000", "%F0%28%8C%28", "%ED%A0%80"]),
            _ => target.Id ?? Guid.NewGuid().ToString(),
        };
        var collection = $"v2.0/{target.Collection}";
        var path = random.Next(10) switch
        {
            0 => Pick(random, ["", "v2.0", "v2.0/", "v2.0//ports", "v2.0/ports/", "v2.0/extensions/%ff", "v2.0/vswitch", "v3/networks", "v2.0/networks.json", "v2.0/ports/../networks"]),
            1 or 2 or 3 => collection,
            4 => $"{collection}?{Query(random)}",
            _ => $"{collection}/{id}",
        };
        var method = random.Next(5) == 0 ? Pick(random, s_methods) : path.EndsWith(id, StringComparison.Ordinal) ? Pick(random, ["GET", "PUT", "DELETE"]) : Pick(random, ["GET", "POST"]);
        var body = method is "POST" or "PUT" or "PATCH" || random.Next(10) == 0 ? Mutate(random, target.Template) : null;
        return (method, path, body);
    }

    private static string Query(Random random)
    {
        var parts = new List<string>();
        for (var i = random.Next(1, 5); i > 0; i--)
        {
            var key = Pick(random, ["name", "id", "limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "bogus", "security_groups", "fixed_ips", "tags", "%ED%A0%80", "admin_state_up", "mtu"]);
            var value = Pick(random, ["", "1", "-1", "0", "abc", "asc", "desc", "name", "id", "True", "%ED%A0%80", "%ff", new string('z', 2000), Guid.NewGuid().ToString(), "ip_address=198.18.0.9"]);
            parts.Add($"{key}={value}");
        }
        return string.Join('&', parts);
    }

    /// <summary>A valid body made wrong in one of several ways.</summary>
    private static string Mutate(Random random, string template)
    {
        switch (random.Next(8))
        {
            case 0:
                return template[..random.Next(template.Length)];
            case 1:
                var at = random.Next(template.Length);
                return template[..at] + Pick(random, ["\"", "{", "]", ",", ":", "\\", "\\ud800", "\u0001", "\"\\ud800\":1,"]) + template[at..];
            case 2:
                return new string('[', random.Next(30, 5000)) + new string(']', random.Next(0, 40));
            case 3:
                return Pick(random, ["", "null", "[]", "\"x\"", "1", "{}", "{\"\\ud800\": {}}", "\u00ff\u00fe", "{\"a\": " + new string('[', 31) + new string(']', 31) + "}"]);
            default:
                var root = JsonNode.Parse(template)!.AsObject();
                var envelope = root.Count == 1 && root.First().Value is JsonObject ? root.First().Key : null;
                var resource = envelope is null ? root : root[envelope]!.AsObject();
                var keys = resource.Select(p => p.Key).ToList();
                var json = resource.ToJsonString();
                var key = keys[random.Next(keys.Count)];
                var value = Pick(random, s_evil);
                var mutated = random.Next(6) == 0
                    ? json.Insert(1, $"\"{Pick(random, ["unknown", "\\ud800", "id", "status", "revision_number", "created_at"])}\": {value}, ")
                    : json.Replace($"\"{key}\":{resource[key]!.ToJsonString()}", $"\"{key}\":{value}", StringComparison.Ordinal);
                return envelope is null ? mutated : $"{{\"{envelope}\": {mutated}}}";
        }
    }

    private static async Task<(int Status, string Text)> Send(HttpClient client, string method, string path, string? body, bool longHeader)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            // Bytes, not a string: some bodies are meant to be invalid UTF-8.
            request.Content = new ByteArrayContent(body.StartsWith('\u00ff') ? [0xff, 0xfe, 0x7b] : Encoding.UTF8.GetBytes(body));
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        if (longHeader)
        {
            request.Headers.TryAddWithoutValidation("X-Project-Id", new string('p', 40_000));
        }
        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Everything the API shows, in a stable order (ports without their live status).</summary>
    private static async Task<string> Snapshot(HttpClient client)
    {
        var parts = new List<string>();
        foreach (var (path, key) in new[] { ("v2.0/networks", "networks"), ("v2.0/ports", "ports"), ("v2.0/security-groups", "security_groups"), ("v2.0/log/logs", "logs") })
        {
            var (status, body) = await client.GetJson(path);
            Assert.Equal(HttpStatusCode.OK, status);
            foreach (var item in body![key]!.AsArray().OrderBy(i => (string)i!["id"]!, StringComparer.Ordinal))
            {
                item!.AsObject().Remove("status");
                parts.Add(item.ToJsonString());
            }
        }
        return string.Join('\n', parts);
    }

    private static string Pick(Random random, string[] choices) => choices[random.Next(choices.Length)];

    private static string Shorten(string? text) => text is null ? "" : text.Length > 300 ? text[..300] + "…" : text;

    private sealed record Target(string Collection, string? Id, string Template);

    private sealed record Targets(Target[] All);
}
