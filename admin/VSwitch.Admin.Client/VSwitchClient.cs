using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace VSwitch.Admin.Client;

/// <summary>
/// A typed client of vswitchd's Neutron v2.0 REST API, shared by <c>vswitchctl</c> and the operator console.
/// </summary>
/// <remarks>
/// <para><b>What.</b> One method per API operation, partial files per resource (<c>VSwitchClient.Networks.cs</c>,
/// <c>.Ports.cs</c>, <c>.SecurityGroups.cs</c>, <c>.Switch.cs</c> for the switch-specific stats, flows and trace).
/// Bodies travel in Neutron's envelopes (<c>{"port": {...}}</c>, <c>{"ports": [...]}</c>); this file unwraps them and
/// maps DTOs with the source-generated <see cref="ClientJsonContext"/>, reading the envelope's member straight from
/// the body's UTF-8 bytes (the console reads a few megabytes a second: stats of every port, thousands of connections;
/// parsing them into a <c>JsonNode</c> tree first and mapping that cost it three times the work).</para>
/// <para><b>Errors.</b> A non-2xx answer becomes <see cref="VSwitchApiException"/> carrying the NeutronError's type and
/// message (or the status line when the body is not one); a transport failure or a body that is not JSON becomes
/// <see cref="VSwitchConnectionException"/> naming the endpoint. Nothing else escapes, so a caller can turn every
/// failure into one line for an operator.</para>
/// <para><b>Names.</b> The API knows ids; names are looked up with list filters (<c>?name=</c>) by
/// <see cref="FindAsync{T}"/>, which refuses an ambiguous name as the OpenStack CLI does.</para>
/// <para><b>Thread-safety.</b> As <see cref="HttpClient"/>: concurrent calls are safe.</para>
/// </remarks>
public sealed partial class VSwitchClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _where;

    /// <summary>A client over <paramref name="http"/>, whose <see cref="HttpClient.BaseAddress"/> must be the API root.</summary>
    public VSwitchClient(HttpClient http, string where = "vswitchd")
    {
        _http = http;
        _where = where;
    }

    /// <summary>A client for <paramref name="endpoint"/> (optionally over a caller's handler, as tests do).</summary>
    public VSwitchClient(VSwitchEndpoint endpoint, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
        : this(CreateHttp(endpoint, handler, timeout), endpoint.ToString())
    {
    }

    private static HttpClient CreateHttp(VSwitchEndpoint endpoint, HttpMessageHandler? handler, TimeSpan? timeout)
    {
        var http = new HttpClient(handler ?? endpoint.CreateHandler(), disposeHandler: true)
        {
            BaseAddress = endpoint.BaseAddress,
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };
        if (endpoint.Token is { Length: > 0 } token)
        {
            http.DefaultRequestHeaders.Add("X-Auth-Token", token);
        }
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    /// <summary>Where the client connects, for messages (<c>unix:/run/vswitch/api.sock</c> or the URL).</summary>
    public string Where => _where;

    public void Dispose() => _http.Dispose();

    private static ClientJsonContext Json => ClientJsonContext.Default;

    /// <summary>GET a collection and read its list member (<c>ports</c>, ...).</summary>
    private async Task<List<T>> ListAsync<T>(string path, string member, JsonTypeInfo<List<T>> type,
        IEnumerable<KeyValuePair<string, string>>? filters, CancellationToken cancellation)
    {
        var query = filters is null ? "" : string.Join('&', filters.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"));
        var target = query.Length == 0 ? path : $"{path}?{query}";
        using var answer = await ExchangeAsync(HttpMethod.Get, target, null, cancellation);
        return ReadMember(answer.Span, member, type, HttpMethod.Get, target) ?? [];
    }

    /// <summary>GET a collection unless it is still <paramref name="known"/> (a conditional request on its ETag).</summary>
    private async Task<Versioned<List<T>>> ListIfChangedAsync<T>(string path, string member, JsonTypeInfo<List<T>> type,
        Versioned<List<T>>? known, CancellationToken cancellation)
    {
        var (answer, tag) = await ExchangeAsync(HttpMethod.Get, path, null, known?.ETag, null, cancellation);
        if (answer is null)
        {
            return known!;
        }
        using (answer)
        {
            return new Versioned<List<T>>(ReadMember(answer.Span, member, type, HttpMethod.Get, path) ?? [], tag);
        }
    }

    /// <summary>Sends a request (with an optional JSON body) and returns the parsed answer, or null for 204.</summary>
    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellation)
    {
        using var answer = await ExchangeAsync(method, path, body, cancellation);
        if (answer.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(answer.Span);
        }
        catch (JsonException ex)
        {
            throw NotJson(method, path, ex);
        }
    }

    /// <summary>
    /// Sends a request (with an optional JSON body) and returns the body of a 2xx answer (empty for 204), which the
    /// caller disposes; any other answer is thrown as its NeutronError. The client's timeout covers the body too.
    /// </summary>
    private async Task<PooledBody> ExchangeAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellation) =>
        (await ExchangeAsync(method, path, body, null, null, cancellation)).Body!;

    /// <summary>
    /// As <see cref="ExchangeAsync(HttpMethod, string, JsonNode?, CancellationToken)"/>, with the answer's ETag; with
    /// <paramref name="ifNoneMatch"/>, a 304 Not Modified answer gives no body; <paramref name="ifMatch"/> is sent as the
    /// <c>If-Match</c> header (Neutron's <c>revision_number=N</c>).
    /// </summary>
    private async Task<(PooledBody? Body, string? ETag)> ExchangeAsync(HttpMethod method, string path, JsonNode? body, string? ifNoneMatch,
        string? ifMatch, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_http.Timeout);
        HttpResponseMessage? response = null;
        PooledBody answer;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token);
            answer = await PooledBody.ReadAsync(stream, response.Content.Headers.ContentLength, deadline.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            response?.Dispose();
            throw new VSwitchConnectionException($"cannot reach vswitchd at {_where}: {Innermost(ex).Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellation.IsCancellationRequested)
        {
            response?.Dispose();
            throw new VSwitchConnectionException($"vswitchd at {_where} did not answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }
        catch (InvalidDataException ex)
        {
            response?.Dispose();
            throw new VSwitchConnectionException($"{_where} answered {method} {path} with {ex.Message}", ex);
        }
        catch
        {
            // The caller cancelled: the answer (and its connection) goes.
            response?.Dispose();
            throw;
        }
        using (response)
        {
            var tag = response.Headers.ETag?.ToString();
            if (response.StatusCode == HttpStatusCode.NotModified && ifNoneMatch is not null)
            {
                answer.Dispose();
                return (null, tag ?? ifNoneMatch);
            }
            if (response.IsSuccessStatusCode)
            {
                return (answer, tag);
            }
            JsonNode? parsed = null;
            try
            {
                using (answer)
                {
                    parsed = answer.Length > 0 ? JsonNode.Parse(answer.Span) : null;
                }
            }
            catch (JsonException)
            {
                // Not a NeutronError body (a proxy, another server): the status line says enough.
            }
            throw Error(response, parsed);
        }
    }

    /// <summary>
    /// The value of the answer's top-level <paramref name="member"/> (or of the whole answer when it is null), read
    /// from the UTF-8 bytes; the rest of the body is still checked to be JSON. A member that is missing or null is a
    /// connection error naming it, as for <see cref="Member"/>.
    /// </summary>
    private T? ReadMember<T>(ReadOnlySpan<byte> answer, string? member, JsonTypeInfo<T> type, HttpMethod method, string path)
    {
        var reader = new Utf8JsonReader(answer);
        try
        {
            if (answer.Length == 0)
            {
                return member is null ? default : throw MissingMember(member);
            }
            if (member is null)
            {
                var whole = JsonSerializer.Deserialize(ref reader, type);
                while (reader.Read())
                {
                }
                return whole;
            }
            T? value = default;
            var found = false;
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var match = !found && reader.ValueTextEquals(member);
                    reader.Read();
                    if (match && reader.TokenType != JsonTokenType.Null)
                    {
                        value = JsonSerializer.Deserialize(ref reader, type);
                        found = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            while (reader.Read())
            {
            }
            return found ? value : throw MissingMember(member);
        }
        catch (JsonException ex)
        {
            throw NotJson(method, path, ex);
        }
    }

    private VSwitchConnectionException NotJson(HttpMethod method, string path, JsonException ex) =>
        new($"{_where} answered {method} {path} with a body that is not JSON: {ex.Message}", ex);

    private VSwitchConnectionException MissingMember(string member) =>
        new($"{_where} answered without '{member}': is this vswitchd's API?");

    private static VSwitchApiException Error(HttpResponseMessage response, JsonNode? body)
    {
        var status = (int)response.StatusCode;
        if (body is JsonObject obj && obj["NeutronError"] is JsonObject error)
        {
            var message = Text(error["message"]) ?? response.ReasonPhrase ?? $"HTTP {status}";
            return new VSwitchApiException(status, Text(error["type"]) ?? "HTTPError", OneLine(message), Text(error["detail"]));
        }
        var reason = response.StatusCode == HttpStatusCode.Unauthorized
            ? "authentication failed: the API needs a valid token (--token or VSWITCH_TOKEN)"
            : $"HTTP {status} {response.ReasonPhrase}";
        return new VSwitchApiException(status, "HTTPError", reason);
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString();

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null)
        {
            ex = ex.InnerException;
        }
        return ex;
    }

    /// <summary>The envelope's member, or a connection error naming what was missing.</summary>
    private JsonNode Member(JsonNode? root, string member) => root?[member] ?? throw MissingMember(member);

    private async Task<T> OneAsync<T>(HttpMethod method, string path, string member, JsonTypeInfo<T> type, JsonNode? body, CancellationToken cancellation,
        string? ifMatch = null)
    {
        using var answer = (await ExchangeAsync(method, path, body, null, ifMatch, cancellation)).Body!;
        return ReadMember(answer.Span, member, type, method, path)
            ?? throw new VSwitchConnectionException($"{_where} answered with an empty '{member}'");
    }

    private static JsonObject Envelope<T>(string member, T value, JsonTypeInfo<T> type) =>
        new() { [member] = JsonSerializer.SerializeToNode(value, type) };

    private static string Escape(string id) => Uri.EscapeDataString(id);
}
