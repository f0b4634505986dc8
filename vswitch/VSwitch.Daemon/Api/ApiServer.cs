using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VSwitch.Control.Model;
using VSwitch.Dataplane;
using VSwitch.Control.Persistence;
using VSwitch.Daemon.Hosting;

namespace VSwitch.Daemon.Api;

/// <summary>
/// The Neutron-compatible REST API on Kestrel: a Unix socket (mode 0660) and, optionally, a TCP listener where every
/// request needs <c>X-Auth-Token</c>.
/// </summary>
/// <remarks>
/// <para><b>What.</b> Minimal-API endpoints per resource (<see cref="NetworksEndpoints"/>, <see cref="PortsEndpoints"/>,
/// <see cref="SecurityGroupsEndpoints"/>, <see cref="SecurityGroupRulesEndpoints"/>, <see cref="NetworkLogsEndpoints"/>, <see cref="VersionsEndpoints"/>, and the switch's own
/// <see cref="StatsEndpoints"/> and <see cref="FlowsEndpoints"/> under <c>/v2.0/vswitch/</c>);
/// every write goes through <see cref="Control.ModelService"/>, so it is durable and applied before the answer.
/// Errors are thrown as <see cref="NeutronException"/> and turned into NeutronError bodies here, in one place.</para>
/// <para><b>The sockets</b> are bound before the daemon reads its state (<see cref="ListeningSockets"/>, and
/// <see cref="ApiSocket"/> for the Unix socket's mode and a stale socket); Kestrel takes them over when it starts.</para>
/// <para><b>Thread-safety.</b> Kestrel runs requests concurrently; readers use the immutable current model, writers
/// serialise in <see cref="Control.ModelService"/>.</para>
/// </remarks>
public sealed partial class ApiServer(ApiOptions options, ListeningSockets listeners, ApiContext api, Datapath datapath, ILoggerFactory loggers)
    : IHostedService
{
    private readonly ILogger _log = loggers.CreateLogger<ApiServer>();
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = listeners.Take);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = RequestBody.MaxBodySize;
            k.AddServerHeader = false;
            if (options.SocketPath is { } path)
            {
                k.ListenUnixSocket(path);
            }
            if (options.Listen is { } endpoint)
            {
                k.Listen(endpoint);
            }
        });
        var app = builder.Build();
        // Routing comes after the guard, so that a routing failure is a NeutronError too, never an empty 500.
        app.Use(Guard);
        app.Use(new TokenAuthentication(options.Tokens).InvokeAsync);
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (!http.Response.HasStarted && http.Response.ContentLength is null or 0)
            {
                var status = http.Response.StatusCode;
                var type = status == StatusCodes.Status405MethodNotAllowed ? "HTTPMethodNotAllowed" : status == 404 ? "HTTPNotFound" : "HTTPError";
                await NeutronResults.Error(status, type, $"The resource could not be found or does not allow {http.Request.Method}.").ExecuteAsync(http);
            }
        });
        app.UseRouting();
        VersionsEndpoints.Map(app);
        NetworksEndpoints.Map(app, api);
        PortsEndpoints.Map(app, api);
        SecurityGroupsEndpoints.Map(app, api);
        SecurityGroupRulesEndpoints.Map(app, api);
        NetworkLogsEndpoints.Map(app, api);
        QuotasEndpoints.Map(app, api);
        TagsEndpoints.Map(app, api);
        AddressGroupsEndpoints.Map(app, api);
        SubnetsEndpoints.Map(app, api);
        RoutersEndpoints.Map(app, api);
        FloatingIpsEndpoints.Map(app, api);
        RbacPoliciesEndpoints.Map(app, api);
        DefaultSecurityGroupRulesEndpoints.Map(app, api);
        TraceEndpoints.Map(app, api, datapath);
        CaptureEndpoints.Map(app, api, datapath, app.Lifetime.ApplicationStopping);
        StatsEndpoints.Map(app, api);
        FlowsEndpoints.Map(app, api);
        NeighborsEndpoints.Map(app, api);
        await app.StartAsync(cancellationToken);
        _app = app;
        Listening(_log, options.SocketPath ?? "-", options.Listen?.ToString() ?? "-");
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>Turns refusals into NeutronError bodies and anything else into a logged 500.</summary>
    private async Task Guard(HttpContext http, RequestDelegate next)
    {
        try
        {
            await next(http);
        }
        catch (NeutronException ex) when (!http.Response.HasStarted)
        {
            await NeutronResults.Error(ex).ExecuteAsync(http);
        }
        catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
        {
            await NeutronResults.Error(StatusCodes.Status400BadRequest, "HTTPBadRequest", ex.Message).ExecuteAsync(http);
        }
        catch (Exception ex) when (!http.Response.HasStarted && ex is not OperationCanceledException)
        {
            RequestFailed(_log, http.Request.Method, http.Request.Path, ex);
            var type = ex is StateStoreException ? "StateStoreError" : "HTTPInternalServerError";
            await NeutronResults.Error(StatusCodes.Status500InternalServerError, type, $"Request failed: {ex.Message}").ExecuteAsync(http);
        }
    }

    [LoggerMessage(300, LogLevel.Information, "API listening on unix:{Socket} and tcp:{Tcp}")]
    private static partial void Listening(ILogger logger, string socket, string tcp);

    [LoggerMessage(301, LogLevel.Error, "API request {Method} {Path} failed")]
    private static partial void RequestFailed(ILogger logger, string method, string path, Exception ex);
}
