using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/quotas</c> (Neutron's <c>quotas</c> and <c>quota_details</c> extensions): the projects with overrides, a
/// project's limits, its defaults, its usage (<c>/details</c>), update and reset; <c>/v2.0/quotas/project</c> (and
/// <c>/tenant</c>) names the caller's project. See <see cref="QuotaOperations"/> for what is counted and enforced.
/// </summary>
internal static class QuotasEndpoints
{
    private static readonly HashSet<string> s_update = [.. QuotaLimits.Resources, "force"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/quotas", (HttpContext http) =>
        {
            api.RequireAdmin(http, "get_quota");
            var model = api.Models.Current;
            return NeutronResults.Many("quotas", model.Quotas.Keys.Select(p => View(QuotaOperations.Effective(model, p, api.QuotaDefaults), p)));
        });
        app.MapGet("/v2.0/quotas/{project}", (HttpContext http, string project) => project switch
        {
            "project" => NeutronResults.One("project", new JsonObject { ["project_id"] = api.For(http).ProjectId.Value }),
            "tenant" => NeutronResults.One("tenant", new JsonObject { ["tenant_id"] = api.For(http).ProjectId.Value }),
            _ => NeutronResults.One("quota", View(QuotaOperations.Effective(api.Models.Current, Readable(api, http, project), api.QuotaDefaults), null)),
        });
        app.MapGet("/v2.0/quotas/{project}/default", (HttpContext http, string project) =>
        {
            Readable(api, http, project);
            return NeutronResults.One("quota", View(api.QuotaDefaults, null));
        });
        app.MapGet("/v2.0/quotas/{project}/details", (HttpContext http, string project) =>
        {
            var model = api.Models.Current;
            var id = Readable(api, http, project);
            var limits = QuotaOperations.Effective(model, id, api.QuotaDefaults);
            var usage = QuotaOperations.Usage(model, id);
            var view = new JsonObject();
            foreach (var resource in QuotaLimits.Resources)
            {
                view[resource] = new JsonObject { ["limit"] = limits[resource], ["used"] = usage[resource], ["reserved"] = 0 };
            }
            return NeutronResults.One("quota", view);
        });
        app.MapPut("/v2.0/quotas/{project}", async (HttpContext http, string project) =>
        {
            var id = Project(project);
            var context = api.RequireAdmin(http, "update_quota");
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var limits = Read(RequestBody.Envelope(document, "quota", s_update));
            var effective = api.Models.Execute(model => QuotaOperations.Update(model, id, limits, context));
            return NeutronResults.One("quota", View(effective, null));
        });
        app.MapDelete("/v2.0/quotas/{project}", (HttpContext http, string project) =>
        {
            var id = Project(project);
            api.RequireAdmin(http, "delete_quota");
            api.Models.Execute(model => QuotaOperations.Reset(model, id));
            return Results.NoContent();
        });
    }

    /// <summary>The limits to set; <c>force</c> (Neutron's "even below the usage") is accepted and changes nothing here, where lowering is always allowed.</summary>
    private static Dictionary<string, int> Read(RequestBody body)
    {
        body.Bool("force");
        var limits = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var resource in QuotaLimits.Resources)
        {
            if (body.Int(resource) is { } limit)
            {
                limits[resource] = limit;
            }
        }
        if (limits.Count == 0)
        {
            throw NeutronErrors.BadRequestMessage("A quota update names at least one resource");
        }
        return limits;
    }

    private static JsonObject View(QuotaLimits limits, ProjectId? project)
    {
        var view = new JsonObject();
        foreach (var resource in QuotaLimits.Resources)
        {
            view[resource] = limits[resource];
        }
        if (project is { } p)
        {
            view["project_id"] = p.Value;
            view["tenant_id"] = p.Value;
        }
        return view;
    }

    /// <summary>A project whose quota the caller may read: an admin any, a member its own (Neutron's policy).</summary>
    private static ProjectId Readable(ApiContext api, HttpContext http, string text)
    {
        var project = Project(text);
        var context = api.For(http);
        return context.IsAdmin || context.ProjectId == project ? project : throw NeutronErrors.PolicyNotAuthorized("get_quota");
    }

    /// <summary>A project id from the path (free text here, as there is no Keystone to ask; <see cref="ProjectId.Parse"/> refuses what no project id can be).</summary>
    private static ProjectId Project(string text) => ProjectId.Parse(text);
}
