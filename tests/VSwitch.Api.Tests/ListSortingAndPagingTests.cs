using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary>Neutron's <c>sort_key</c>/<c>sort_dir</c>, <c>limit</c>/<c>marker</c>/<c>page_reverse</c> and <c>*_links</c>.</summary>
public sealed class ListSortingAndPagingTests : ApiHostTest
{
    private static readonly (string Name, int Mtu)[] s_networks =
        [("delta", 1500), ("alpha", 1400), ("echo", 1500), ("charlie", 1400), ("bravo", 9000), ("golf", 1500), ("foxtrot", 1400)];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var (name, mtu) in s_networks)
        {
            await _client.CreateAsync("networks", "network", $$$"""{"network": {"name": "{{{name}}}", "mtu": {{{mtu}}}}}""");
        }
    }

    [Fact]
    public async Task SortKeys_OrderByEachKeyInTurn()
    {
        Assert.Equal(["golf", "foxtrot", "echo", "delta", "charlie", "bravo", "alpha"], await Names("v2.0/networks?sort_key=name&sort_dir=desc"));
        Assert.Equal(["foxtrot", "charlie", "alpha", "golf", "echo", "delta", "bravo"],
            await Names("v2.0/networks?sort_key=mtu&sort_dir=asc&sort_key=name&sort_dir=desc"));
        var byId = (await List("v2.0/networks?sort_key=id&sort_dir=asc")).Select(n => (string)n["id"]!).ToList();
        Assert.Equal(byId.Order(StringComparer.Ordinal), byId);
    }

    [Theory]
    [InlineData("sort_key=name", "must be same")]
    [InlineData("sort_key=name&sort_dir=up", "is invalid value for sort_dirs")]
    [InlineData("sort_key=bogus&sort_dir=asc", "is invalid attribute for sort_keys")]
    [InlineData("sort_key=tags&sort_dir=asc", "is invalid attribute for sort_keys")]
    [InlineData("limit=-1", "Limit must be an integer 0 or greater")]
    [InlineData("limit=x", "Limit must be an integer 0 or greater")]
    public async Task BadSortingOrPaging_Is400(string query, string message)
    {
        Assert.Contains(message, Http.AssertError(await _client.GetJson($"v2.0/networks?{query}"), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task UnknownMarker_IsTheCollections404()
    {
        Http.AssertError(await _client.GetJson($"v2.0/networks?limit=2&marker={Guid.NewGuid()}"), HttpStatusCode.NotFound, "NetworkNotFound");
        Http.AssertError(await _client.GetJson("v2.0/security-groups?limit=2&marker=nope"), HttpStatusCode.NotFound, "SecurityGroupNotFound");
    }

    [Fact]
    public async Task NextLinks_WalkEveryObjectOnce_AndPreviousLinksWalkBack()
    {
        var all = await Names("v2.0/networks?sort_key=name&sort_dir=asc");
        var pages = new List<List<string>>();
        string? next = "v2.0/networks?sort_key=name&sort_dir=asc&limit=3&fields=name";
        JsonObject body = null!;
        while (next is not null)
        {
            body = await Body(next);
            var page = body["networks"]!.AsArray().Select(n => (string)n!["name"]!).ToList();
            Assert.InRange(page.Count, 0, 3);
            Assert.All(body["networks"]!.AsArray(), n => Assert.Single(n!.AsObject()));
            pages.Add(page);
            next = Link(body, "next");
        }
        Assert.Equal(all, pages.SelectMany(p => p));
        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));

        // From the last page back: each previous link gives the page before, in the same order.
        var back = new List<List<string>> { pages[^1] };
        var previous = Link(body, "previous");
        while (previous is not null)
        {
            body = await Body(previous);
            var page = body["networks"]!.AsArray().Select(n => (string)n!["name"]!).ToList();
            if (page.Count > 0)
            {
                back.Insert(0, page);
            }
            previous = Link(body, "previous");
        }
        Assert.Equal(all, back.SelectMany(p => p));
    }

    [Fact]
    public async Task Links_FollowNeutronsRules()
    {
        var first = await Body("v2.0/networks?sort_key=name&sort_dir=asc&limit=7");
        Assert.Equal(7, first["networks"]!.AsArray().Count);
        Assert.NotNull(Link(first, "next"));     // a full page: there may be more (Neutron does not look ahead)
        Assert.NotNull(Link(first, "previous"));
        var short1 = await Body("v2.0/networks?limit=8");
        Assert.Null(Link(short1, "next"));
        Assert.NotNull(Link(short1, "previous"));
        Assert.Contains("page_reverse=True", Link(short1, "previous"));
        Assert.Equal(7, (await Body("v2.0/networks?limit=99999999999"))["networks"]!.AsArray().Count);
        var whole = await Body("v2.0/networks");
        Assert.False(whole.ContainsKey("networks_links"));

        // page_reverse without a marker: the last page.
        var last = await Body("v2.0/networks?sort_key=name&sort_dir=asc&limit=2&page_reverse=True");
        Assert.Equal(["foxtrot", "golf"], last["networks"]!.AsArray().Select(n => (string)n!["name"]!));
    }

    [Fact]
    public async Task Filters_ApplyBeforePaging()
    {
        var page = await Body("v2.0/networks?mtu=1400&sort_key=name&sort_dir=asc&limit=2");
        Assert.Equal(["alpha", "charlie"], page["networks"]!.AsArray().Select(n => (string)n!["name"]!));
        var next = await Body(Link(page, "next")!);
        Assert.Equal(["foxtrot"], next["networks"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Null(Link(next, "next"));
    }

    [Fact]
    public async Task EveryCollection_Pages()
    {
        foreach (var (path, key) in new[] { ("v2.0/ports", "ports"), ("v2.0/security-groups", "security_groups"), ("v2.0/security-group-rules", "security_group_rules"), ("v2.0/log/logs", "logs") })
        {
            var page = await Body($"{path}?limit=1&sort_key=id&sort_dir=desc");
            Assert.True(page.ContainsKey($"{key}_links"), path);
        }
        var rules = await List("v2.0/security-group-rules?sort_key=direction&sort_dir=asc&sort_key=ethertype&sort_dir=desc");
        Assert.Equal(rules.OrderBy(r => (string)r["direction"]!, StringComparer.Ordinal).ThenByDescending(r => (string)r["ethertype"]!, StringComparer.Ordinal)
            .Select(r => (string)r["id"]!), rules.Select(r => (string)r["id"]!));
    }

    private async Task<List<string>> Names(string path) => [.. (await List(path)).Select(n => (string)n["name"]!)];

    private async Task<List<JsonObject>> List(string path)
    {
        var body = await Body(path);
        var key = body.Select(p => p.Key).First(k => !k.EndsWith("_links", StringComparison.Ordinal));
        return [.. body[key]!.AsArray().Select(n => n!.AsObject())];
    }

    private async Task<JsonObject> Body(string path)
    {
        var (status, body) = await _client.GetJson(path);
        Assert.True(status == HttpStatusCode.OK, $"{path}: {status} {body?.ToJsonString()}");
        return body!.AsObject();
    }

    /// <summary>The link's path and query (the href is absolute, naming the host the client asked for).</summary>
    private static string? Link(JsonObject body, string rel)
    {
        var links = body.FirstOrDefault(p => p.Key.EndsWith("_links", StringComparison.Ordinal)).Value?.AsArray();
        var href = (string?)links?.FirstOrDefault(l => (string?)l!["rel"] == rel)?["href"];
        return href is null ? null : new Uri(href).PathAndQuery.TrimStart('/');
    }
}
