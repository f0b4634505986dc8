using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VSwitch.Daemon.Hosting;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// Serves <c>GET /metrics</c> on <c>--metrics-listen</c> with Kestrel, on the socket bound at start-up
/// (<see cref="ListeningSockets"/>): OpenMetrics when the scraper's <c>Accept</c> asks for it (Prometheus does), else the
/// Prometheus text format.
/// </summary>
public sealed class MetricsServer(VSwitchOptions options, ListeningSockets listeners, MetricsExporter exporter, ILoggerFactory loggers) : IHostedService
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = listeners.Take);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.MetricsListen!));
        _app = builder.Build();
        _app.MapGet("/metrics", async (HttpContext http) =>
        {
            var format = MetricsExporter.Negotiate(http.Request.Headers.Accept);
            http.Response.ContentType = MetricsExporter.ContentType(format);
            await exporter.WriteAsync(http.Response.Body, format, http.RequestAborted);
        });
        await _app.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
            await _app.DisposeAsync();
        }
    }
}
