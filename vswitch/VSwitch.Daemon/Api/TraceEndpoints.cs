using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;
using VSwitch.Control.Tracing;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>POST /v2.0/vswitch/trace</c>: why a packet sent by a port would be allowed or dropped, step by step, naming the
/// rule (and its group) or the reason. The data path's own stages run in trace mode (<see cref="Datapath.Trace"/>).
/// </summary>
/// <remarks>
/// Body: <c>{"port_id": ID, "packet": "tcp 198.18.0.1:40000 &gt; 198.18.0.2:80 syn"}</c> (see
/// <see cref="PacketDescription"/>). Answer: <c>{"trace": {"verdict", "reason", "packet", "delivered_to", "steps":
/// [{"stage", "result", "detail", "port_id"?, "rule_id"?, "security_group_id"?}]}}</c>.
/// </remarks>
internal static class TraceEndpoints
{
    private static readonly HashSet<string> s_body = ["port_id", "packet"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api, Datapath datapath)
    {
        app.MapPost("/v2.0/vswitch/trace", async (HttpContext http) =>
        {
            // Admin only: a trace shows the rules of the ports the packet reaches, whichever project owns them.
            var context = api.RequireAdmin(http, "trace_vswitch");
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var body = RequestBody.Checked(document.RootElement, "trace", s_body);
            var portId = body.Uuid("port_id") ?? throw NeutronErrors.MissingAttribute("port_id");
            var text = body.String("packet") ?? throw NeutronErrors.MissingAttribute("packet");
            var model = api.Models.Current;
            var port = PortOperations.Get(model, portId, context);
            var packet = PacketDescription.Parse(text);
            var slot = api.Reconciler.SlotOf(port.Id);
            if (slot < 0)
            {
                throw new NeutronException(409, "PortNotBound", $"Port {port.Id} is not attached to the data path: {api.Reconciler.Statuses.GetValueOrDefault(port.Id)?.Reason}");
            }
            var trace = datapath.Trace(slot, packet.ToFrame(model, port));
            return NeutronResults.Json(new JsonObject { ["trace"] = View(trace, text, model, api) });
        });
    }

    private static JsonObject View(TraceLog trace, string text, SwitchModel model, ApiContext api)
    {
        var portBySlot = api.Reconciler.Statuses.Values.Where(s => s.Slot >= 0).ToDictionary(s => s.Slot, s => s.PortId);
        var ruleBySlot = new Dictionary<int, SecurityGroupRule>();
        foreach (var rule in model.SecurityGroups.Values.SelectMany(g => g.Rules))
        {
            var ruleSlot = api.Reconciler.RuleSlot(rule.Id);
            if (ruleSlot >= 0)
            {
                ruleBySlot[ruleSlot] = rule;
            }
        }
        var steps = new JsonArray();
        foreach (var step in trace.Steps)
        {
            var node = new JsonObject { ["stage"] = step.Stage, ["result"] = step.Result, ["detail"] = step.Detail };
            if (portBySlot.TryGetValue(step.Port, out var portId))
            {
                node["port_id"] = portId.ToString();
            }
            if (step.Event is TraceEvent.EgressRule or TraceEvent.IngressRule && ruleBySlot.TryGetValue(step.RuleSlot, out var rule))
            {
                node["rule_id"] = rule.Id.ToString();
                node["security_group_id"] = rule.SecurityGroupId.ToString();
                var group = model.SecurityGroups.GetValueOrDefault(rule.SecurityGroupId);
                node["detail"] = $"{step.Stage} rule {rule.Id} of group {group?.Name ?? "?"} " +
                    $"({rule.Direction.ToString().ToLowerInvariant()} {rule.Ethertype} {rule.Protocol ?? "any"}" +
                    $"{(rule.PortRangeMin is { } min ? $" {min}-{rule.PortRangeMax}" : "")}" +
                    $"{(rule.RemoteIpPrefix is { } prefix ? $" from/to {prefix}" : rule.RemoteGroupId is { } g ? $" remote group {model.SecurityGroups.GetValueOrDefault(g)?.Name ?? g.ToString()}" : "")})";
            }
            steps.Add(node);
        }
        var delivered = new JsonArray();
        foreach (var slot in trace.DeliveredTo)
        {
            delivered.Add(portBySlot.TryGetValue(slot, out var id) ? id.ToString() : slot.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return new JsonObject
        {
            ["verdict"] = trace.Allowed ? "allowed" : "dropped",
            ["reason"] = trace.Allowed ? null : trace.DropReason?.Label(),
            ["packet"] = text,
            ["delivered_to"] = delivered,
            ["steps"] = steps,
        };
    }
}
