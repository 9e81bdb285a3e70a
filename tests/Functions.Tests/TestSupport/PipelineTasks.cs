using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// The app's orchestrators and activities as the in-process durable test host runs them: each activity through an
/// adapter (an open generic <c>Adapter&lt;TActivity, TInput, TOutput&gt;</c> deriving from <see cref="TaskActivity{TInput, TOutput}"/>)
/// over the app's own singleton. Shared by the tests' pipeline harness and <c>bench pipeline</c>.
/// </summary>
internal static class PipelineTasks
{
    /// <summary>Registers the per-image and the audit orchestrations with every activity they call.</summary>
    public static void Register(DurableTaskRegistry tasks, Type adapter)
    {
        tasks.AddOrchestrator<ImageAuditOrchestrator>(OrchestratorNames.ImageAudit);
        tasks.AddOrchestrator<AuditOrchestrator>(OrchestratorNames.Audit);
        Add<PrepareImage, ImageWorkItem, PrepareResult>(nameof(PrepareImage));
        Add<AttackSlice, ImageCheckpoint, ImageCheckpoint>(nameof(AttackSlice));
        Add<FinalizeImage, FinalizeInput, ImageAuditResult>(nameof(FinalizeImage));
        Add<RecordUploadFailure, UploadFailureInput, bool>(nameof(RecordUploadFailure));
        Add<AcquireImageSlot, string, bool>(nameof(AcquireImageSlot));
        Add<ReleaseImageSlot, string, bool>(nameof(ReleaseImageSlot));
        Add<ListAuditImages, AuditListInput, AuditListPart>(nameof(ListAuditImages));
        Add<LoadAuditChunk, AuditChunkInput, AuditChunk>(nameof(LoadAuditChunk));
        Add<RecordImageFailure, ImageFailureInput, bool>(nameof(RecordImageFailure));
        Add<SummarizeAuditChunk, AuditPartialInput, int>(nameof(SummarizeAuditChunk));
        Add<WriteAuditSummary, AuditSummaryInput, AuditResult>(nameof(WriteAuditSummary));

        void Add<TActivity, TInput, TOutput>(string name)
            where TActivity : IActivity<TInput, TOutput> =>
            tasks.AddActivity(name, adapter.MakeGenericType(typeof(TActivity), typeof(TInput), typeof(TOutput)));
    }

    /// <summary>Hands the app's activity singletons (one model per "worker") to the test host's container.</summary>
    public static void AddActivities(IServiceCollection host, IServiceProvider app)
    {
        host.AddSingleton(app.GetRequiredService<PrepareImage>());
        host.AddSingleton(app.GetRequiredService<AttackSlice>());
        host.AddSingleton(app.GetRequiredService<FinalizeImage>());
        host.AddSingleton(app.GetRequiredService<RecordUploadFailure>());
        host.AddSingleton(app.GetRequiredService<AcquireImageSlot>());
        host.AddSingleton(app.GetRequiredService<ReleaseImageSlot>());
        host.AddSingleton(app.GetRequiredService<ListAuditImages>());
        host.AddSingleton(app.GetRequiredService<LoadAuditChunk>());
        host.AddSingleton(app.GetRequiredService<RecordImageFailure>());
        host.AddSingleton(app.GetRequiredService<SummarizeAuditChunk>());
        host.AddSingleton(app.GetRequiredService<WriteAuditSummary>());
    }
}
