using System.Net;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// The Functions host's entry points of bulk audits: the HTTP API (<see cref="AuditApi"/>), the audit orchestrator
/// (<see cref="AuditOrchestrator"/>) and its activities. Thin adapters; function names equal the names the
/// orchestrator schedules.
/// </summary>
public sealed class AuditFunctions
{
    private readonly AuditApi _api;
    private readonly ListAuditImages _list;
    private readonly LoadAuditChunk _chunk;
    private readonly RecordImageFailure _failure;
    private readonly SummarizeAuditChunk _partial;
    private readonly WriteAuditSummary _summary;

    /// <summary>Initializes a new instance of the <see cref="AuditFunctions"/> class.</summary>
    /// <param name="api">The HTTP API.</param>
    /// <param name="list">The listing activity.</param>
    /// <param name="chunk">The chunk activity.</param>
    /// <param name="failure">The failure activity.</param>
    /// <param name="partial">The partial-summary activity.</param>
    /// <param name="summary">The summary activity.</param>
    public AuditFunctions(AuditApi api, ListAuditImages list, LoadAuditChunk chunk, RecordImageFailure failure, SummarizeAuditChunk partial, WriteAuditSummary summary)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _list = list ?? throw new ArgumentNullException(nameof(list));
        _chunk = chunk ?? throw new ArgumentNullException(nameof(chunk));
        _failure = failure ?? throw new ArgumentNullException(nameof(failure));
        _partial = partial ?? throw new ArgumentNullException(nameof(partial));
        _summary = summary ?? throw new ArgumentNullException(nameof(summary));
    }

    /// <summary><c>POST /api/audits</c>: starts a bulk audit.</summary>
    /// <param name="request">The request.</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>202 with the audit id and status URL, or 400.</returns>
    [Function(nameof(StartAudit))]
    public async Task<HttpResponseData> StartAudit(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "audits")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string body = await request.ReadAsStringAsync().ConfigureAwait(false) ?? string.Empty;
        return await RespondAsync(request, await _api.StartAsync(body, request.Url, client, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/audits/{id}</c>: an audit's progress.</summary>
    /// <param name="request">The request.</param>
    /// <param name="id">The audit id.</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>200 with the progress, or 404.</returns>
    [Function(nameof(GetAudit))]
    public async Task<HttpResponseData> GetAudit(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "audits/{id}")] HttpRequestData request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await RespondAsync(request, await _api.GetAsync(id, client, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/audits/{id}/resume</c>: runs a failed or stopped audit again for the inputs without a complete result (<c>?force=true</c> stops a running one first).</summary>
    /// <param name="request">The request.</param>
    /// <param name="id">The audit id.</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>202 with the status URL, 404, or 409 while the audit runs.</returns>
    [Function(nameof(ResumeAudit))]
    public async Task<HttpResponseData> ResumeAudit(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "audits/{id}/resume")] HttpRequestData request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool force = string.Equals(System.Web.HttpUtility.ParseQueryString(request.Url.Query)["force"], "true", StringComparison.OrdinalIgnoreCase);
        return await RespondAsync(request, await _api.ResumeAsync(id, force, request.Url, client, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>The audit orchestrator function.</summary>
    /// <param name="context">The orchestration context.</param>
    /// <returns>The result, or <see langword="null"/> when the execution continued as new.</returns>
    [Function(OrchestratorNames.Audit)]
    public Task<AuditResult?> AuditOrchestration([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        AuditInput input = context.GetInput<AuditInput>() ?? throw new InvalidOperationException($"{OrchestratorNames.Audit} needs an {nameof(AuditInput)} input.");
        return new AuditOrchestrator().RunAsync(context, input);
    }

    /// <summary>The <see cref="Audit.ListAuditImages"/> activity.</summary>
    /// <param name="input">The chunk to list.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The listing so far, or the complete one.</returns>
    [Function(nameof(Audit.ListAuditImages))]
    public Task<AuditListPart> ListAuditImages([ActivityTrigger] AuditListInput input, CancellationToken cancellationToken) => _list.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Audit.LoadAuditChunk"/> activity.</summary>
    /// <param name="input">The chunk.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The chunk's work items.</returns>
    [Function(nameof(Audit.LoadAuditChunk))]
    public Task<AuditChunk> LoadAuditChunk([ActivityTrigger] AuditChunkInput input, CancellationToken cancellationToken) => _chunk.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Audit.RecordImageFailure"/> activity.</summary>
    /// <param name="input">The failed image.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>Whether error.json was written.</returns>
    [Function(nameof(Audit.RecordImageFailure))]
    public Task<bool> RecordImageFailure([ActivityTrigger] ImageFailureInput input, CancellationToken cancellationToken) => _failure.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Audit.SummarizeAuditChunk"/> activity.</summary>
    /// <param name="input">The chunk.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The inputs summarized.</returns>
    [Function(nameof(Audit.SummarizeAuditChunk))]
    public Task<int> SummarizeAuditChunk([ActivityTrigger] AuditPartialInput input, CancellationToken cancellationToken) => _partial.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Audit.WriteAuditSummary"/> activity.</summary>
    /// <param name="input">The audit.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The result.</returns>
    [Function(nameof(Audit.WriteAuditSummary))]
    public Task<AuditResult> WriteAuditSummary([ActivityTrigger] AuditSummaryInput input, CancellationToken cancellationToken) => _summary.ExecuteAsync(input, cancellationToken);

    private static async Task<HttpResponseData> RespondAsync(HttpRequestData request, ApiResponse answer)
    {
        HttpResponseData response = request.CreateResponse((HttpStatusCode)answer.Status);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        if (answer.Location is not null)
        {
            response.Headers.Add("Location", answer.Location);
        }

        await response.WriteStringAsync(answer.Body).ConfigureAwait(false);
        return response;
    }
}
