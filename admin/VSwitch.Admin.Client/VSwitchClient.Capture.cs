using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.Json;
using VSwitch.Admin.Client.Capture;

namespace VSwitch.Admin.Client;

/// <summary><c>GET /v2.0/vswitch/capture</c>: a port's frames as a pcapng stream.</summary>
public sealed partial class VSwitchClient
{
    /// <summary>
    /// Captures the frames <paramref name="request"/> asks for: every whole pcapng block is written to
    /// <paramref name="destination"/> (when given) as it arrives, and every frame is handed to
    /// <paramref name="onFrame"/> (when given). Returns when the daemon ends the capture, or when
    /// <paramref name="cancellation"/> fires (then what was written is a whole, valid file, and the summary is not
    /// <see cref="CaptureSummary.Complete"/>). The client's timeout covers the answer's headers only.
    /// </summary>
    public async Task<CaptureSummary> CaptureAsync(CaptureRequest request, Stream? destination, Action<CapturedFrame>? onFrame,
        CancellationToken cancellation = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Path);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-pcapng"));
        HttpResponseMessage response;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(_http.Timeout);
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new VSwitchConnectionException($"cannot reach vswitchd at {_where}: {Innermost(ex).Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellation.IsCancellationRequested)
        {
            throw new VSwitchConnectionException($"vswitchd at {_where} did not answer within {_http.Timeout.TotalSeconds:0} s", ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellation);
                JsonNode? body = null;
                try
                {
                    body = text.Length > 0 ? JsonNode.Parse(text) : null;
                }
                catch (JsonException)
                {
                    // Not a NeutronError body: the status line says enough.
                }
                throw Error(response, body);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellation);
            var reader = new PcapNgReader(stream);
            long frames = 0;
            try
            {
                while (true)
                {
                    var block = await reader.ReadBlockAsync(cancellation);
                    if (block.IsEmpty)
                    {
                        // A cancelled read may end the stream instead of throwing: then the caller stopped it.
                        return new CaptureSummary(frames, reader.Lost, Complete: !cancellation.IsCancellationRequested, reader.EndReason);
                    }
                    // Never cancelled halfway: what the destination holds stays whole blocks. A destination that
                    // went away (a pipe's reader quit) ends the capture as the caller's stop would.
                    if (destination is not null && !await TryWriteAsync(destination, block))
                    {
                        return new CaptureSummary(frames, reader.Lost, Complete: false);
                    }
                    if (reader.Frame(block.Span) is { } frame)
                    {
                        frames++;
                        onFrame?.Invoke(frame);
                    }
                }
            }
            catch (Exception ex) when (cancellation.IsCancellationRequested && ex is OperationCanceledException or IOException or InvalidDataException or HttpRequestException)
            {
                return new CaptureSummary(frames, reader.Lost, Complete: false);
            }
            catch (InvalidDataException ex)
            {
                throw new VSwitchConnectionException($"{_where} sent a broken capture stream after {frames} frames: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new VSwitchConnectionException($"the capture stream from {_where} broke after {frames} frames: {Innermost(ex).Message}", ex);
            }
        }
    }

    /// <summary>Writes a block; false when the destination is a pipe whose reader quit (EPIPE); any other failure is thrown.</summary>
    private static async ValueTask<bool> TryWriteAsync(Stream destination, ReadOnlyMemory<byte> block)
    {
        try
        {
            await destination.WriteAsync(block, CancellationToken.None);
            await destination.FlushAsync(CancellationToken.None);
            return true;
        }
        catch (IOException ex) when (ex.HResult == BrokenPipe)
        {
            return false;
        }
        catch (IOException ex)
        {
            throw new CaptureOutputException($"cannot write the capture: {ex.Message}", ex);
        }
    }

    /// <summary>EPIPE, as .NET puts it in an <see cref="IOException"/>'s HResult on Linux.</summary>
    private const int BrokenPipe = 32;
}
