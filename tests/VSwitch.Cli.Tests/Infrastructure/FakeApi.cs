using System.Net;
using System.Text;

namespace VSwitch.Cli.Tests.Infrastructure;

/// <summary>
/// An HTTP handler standing in for vswitchd: answers from a table of canned JSON bodies keyed by method and path
/// (query included), 404 NeutronError otherwise, and records every request so tests can check what the CLI sent.
/// </summary>
internal sealed class FakeApi : HttpMessageHandler
{
    private readonly Dictionary<string, (HttpStatusCode Status, string Body)> _answers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (byte[] Body, string ContentType)> _binary = new(StringComparer.Ordinal);

    public List<Recorded> Requests { get; } = [];

    public sealed record Recorded(string Method, string PathAndQuery, string? Body, string? Token, string Host);

    public FakeApi On(string method, string pathAndQuery, string body, HttpStatusCode status = HttpStatusCode.OK)
    {
        _answers[$"{method} {pathAndQuery}"] = (status, body);
        return this;
    }

    /// <summary>Answers with bytes (a capture's pcapng stream).</summary>
    public FakeApi OnBytes(string method, string pathAndQuery, byte[] body, string contentType)
    {
        _binary[$"{method} {pathAndQuery}"] = (body, contentType);
        return this;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var path = request.RequestUri!.PathAndQuery;
        Requests.Add(new Recorded(request.Method.Method, path, body,
            request.Headers.TryGetValues("X-Auth-Token", out var t) ? t.Single() : null, request.RequestUri.Authority));
        if (_binary.TryGetValue($"{request.Method.Method} {path}", out var bytes))
        {
            var content = new ByteArrayContent(bytes.Body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(bytes.ContentType);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }
        var (status, text) = _answers.TryGetValue($"{request.Method.Method} {path}", out var a)
            ? a
            : (HttpStatusCode.NotFound, """{"NeutronError": {"type": "HTTPNotFound", "message": "The resource could not be found.", "detail": ""}}""");
        return new HttpResponseMessage(status) { Content = new StringContent(text, Encoding.UTF8, "application/json") };
    }
}
