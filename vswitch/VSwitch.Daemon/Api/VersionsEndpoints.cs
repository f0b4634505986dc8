using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Discovery: <c>GET /</c> (the versions document the OpenStack SDK reads first), <c>GET /v2.0</c> (the resource
/// collections) and <c>GET /v2.0/extensions[/ALIAS]</c> (what this API implements, which the SDK and CLI consult before
/// sending extension attributes).
/// </summary>
internal static class VersionsEndpoints
{
    /// <summary>The extensions whose attributes and behaviour the API implements (alias, name, description).</summary>
    private static readonly (string Alias, string Name, string Description)[] s_extensions =
    [
        ("security-group", "security-group", "The security groups extension."),
        ("stateful-security-group", "Stateful security group", "Indicates if the security group is stateful or not"),
        ("port-security", "Port Security", "Provides port security"),
        ("allowed-address-pairs", "Allowed Address Pairs", "Provides allowed address pairs"),
        ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
        ("standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources."),
        ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
        ("standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes"),
        ("project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled."),
        ("filter-validation", "Filter parameters validation", "Provides validation on filter parameters."),
        ("security-groups-normalized-cidr", "Add normalized CIDR field to security group rule", "Add new field with normalized remote_ip_prefix cidr in SG rule"),
        ("logging", "Logging API Extension", "Provides a logging API for resources such as security group and firewall."),
        ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
        ("net-mtu-writable", "Network MTU (writable)", "Provides a writable MTU attribute for a network resource."),
        ("vlan-transparent", "Vlan", "Provides Vlan Transparent Networks"),
        ("quotas", "Quota management support", "Expose functions for quotas management per project"),
        ("quota_details", "Quota details management support", "Expose functions for quotas usage statistics per project"),
        ("revision-if-match", "If-Match constraints based on revision_number", "Extension indicating that If-Match based on revision_number is supported."),
        ("standard-attr-tag", "Tag support for resources with standard attribute", "Enables to set tags on networks, ports, security groups and security group rules."),
        ("security-groups-default-rules", "Default rules for security groups", "Configure set of security group rules used as default rules for every new security group"),
        ("address-group", "Address group", "Support address group"),
        ("security-groups-remote-address-group", "Remote address group id field for security group rules", "Add new field of remote address group id in security group rules"),
        ("rbac-policies", "RBAC Policies", "Allows creation and modification of policies that control tenant access to resources."),
        ("rbac-security-groups", "RBAC Security Groups", "Add RBAC support for security groups"),
        ("router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway."),
        ("external-net", "Neutron external network", "Adds external network attribute to network resource."),
        ("ext-gw-mode", "Neutron L3 Configurable external gateway mode", "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway"),
        ("extraroute", "Neutron Extra Route", "Extra routes configuration for L3 router"),
        ("extraroute-atomic", "Atomically add/remove extra routes", "Edit extra routes of a router on server side by atomically adding/removing extra routes"),
        ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
        ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ];

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http) => NeutronResults.Json(new JsonObject
        {
            ["versions"] = new JsonArray(new JsonObject
            {
                ["id"] = "v2.0",
                ["status"] = "CURRENT",
                ["links"] = new JsonArray(new JsonObject { ["href"] = $"{BaseUrl(http)}/v2.0/", ["rel"] = "self" }),
            }),
        }));
        app.MapGet("/v2.0", Resources); // also matches "/v2.0/": a second route would make the two ambiguous
        app.MapGet("/v2.0/extensions", () => NeutronResults.Many("extensions", s_extensions.Select(View)));
        app.MapGet("/v2.0/extensions/{alias}", (string alias) =>
        {
            var found = s_extensions.Where(e => e.Alias == alias).Select(View).FirstOrDefault();
            return found is null
                ? NeutronResults.Error(StatusCodes.Status404NotFound, "HTTPNotFound", $"Extension with alias {alias} does not exist")
                : NeutronResults.One("extension", found);
        });
    }

    private static IResult Resources(HttpContext http) => NeutronResults.Many("resources",
        new[] { ("network", "networks"), ("subnet", "subnets"), ("router", "routers"), ("floatingip", "floatingips"), ("port", "ports"), ("security_group", "security-groups"), ("security_group_rule", "security-group-rules"), ("default_security_group_rule", "default-security-group-rules"), ("quota", "quotas"), ("address_group", "address-groups"), ("rbac_policy", "rbac-policies") }
            .Select(r => new JsonObject
            {
                ["name"] = r.Item1,
                ["collection"] = r.Item2,
                ["links"] = new JsonArray(new JsonObject { ["href"] = $"{BaseUrl(http)}/v2.0/{r.Item2}", ["rel"] = "self" }),
            }));

    private static JsonObject View((string Alias, string Name, string Description) e) => new()
    {
        ["alias"] = e.Alias,
        ["name"] = e.Name,
        ["description"] = e.Description,
        ["updated"] = "2013-01-01T10:00:00-00:00",
        ["links"] = new JsonArray(),
    };

    private static string BaseUrl(HttpContext http) =>
        http.Request.Host.HasValue ? $"{http.Request.Scheme}://{http.Request.Host}" : "http://localhost";
}
