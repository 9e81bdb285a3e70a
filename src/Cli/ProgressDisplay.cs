using System.Diagnostics;
using System.Globalization;
using AttackCore.Engine;
using AttackCore.Models;
using Spectre.Console;

namespace AttackCli;

/// <summary>
/// Shows how far the run is on standard error: per attack of the plan, the images it is done with of those it works
/// on, the queries spent, the rate and an estimate of the time left, and the images finished overall. On a terminal it
/// is a live Spectre.Console display (one bar per attack, so the count of one attack never silently restarts when the
/// next begins); redirected to a file, a plain line every few seconds and one whenever the next attack starts.
/// </summary>
/// <remarks>Progress arrives on the attacking thread; Spectre renders on its own, reading the task values.</remarks>
internal sealed class ProgressDisplay
{
    private static readonly TimeSpan RedirectedInterval = TimeSpan.FromSeconds(10);
    private readonly TextWriter _errors;
    private readonly int _total;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<int, AttackTally> _attacks = [];
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _live;
    private ProgressContext? _context;
    private ProgressTask? _overall;
    private TimeSpan? _lastPrinted;
    private int _doneBefore;
    private long _queriesBefore;
    private long _batchQueries;
    private AttackProgress? _last;
    private int _stages = 1;
    private bool _finalPrinted;

    public ProgressDisplay(TextWriter errors, int total)
    {
        _errors = errors;
        _total = total;
        _interactive = ReferenceEquals(errors, Console.Error) && !Console.IsErrorRedirected;
        if (_interactive)
        {
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(errors) });
            var ready = new TaskCompletionSource<ProgressContext>(TaskCreationOptions.RunContinuationsAsynchronously);
            _live = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    ready.SetResult(context);
                    await _stop.Task.ConfigureAwait(false);
                    context.Refresh();
                });
            _context = ready.Task.GetAwaiter().GetResult();
            _overall = _context.AddTask("all images", maxValue: Math.Max(1, total));
        }
    }

    /// <summary>An input that was not attacked (unreadable, rejected) counts as done.</summary>
    public void InputDone()
    {
        _doneBefore++;
        Render();
    }

    public IProgress<AttackProgress> ForBatch() => new SyncProgress(this);

    public void BatchDone(int images)
    {
        if (_last is { Attack: not null } last)
        {
            Tally(last.Stage, last.Attack).Close(last.StageImages);
        }

        _last = null;
        _doneBefore += images;
        _queriesBefore += _batchQueries;
        _batchQueries = 0;
        Render();
    }

    /// <summary>Stops the live display (call before writing anything else to standard error).</summary>
    public void Finish()
    {
        if (_live is not null)
        {
            _stop.TrySetResult();
            _live.GetAwaiter().GetResult();
            _live = null;
        }
    }

    private static string Rate(long queries, TimeSpan elapsed) =>
        elapsed.TotalSeconds < 0.5 ? "-" : (queries / elapsed.TotalSeconds).ToString(queries / elapsed.TotalSeconds >= 100 ? "N0" : "0.0", CultureInfo.InvariantCulture);

    private AttackTally Tally(int stage, string name)
    {
        if (!_attacks.TryGetValue(stage, out AttackTally? tally))
        {
            tally = new AttackTally(name, _attacks.Count == 0 ? _context?.AddTaskBefore(name, _overall!) : _context?.AddTaskAfter(name, _attacks[_attacks.Keys.Max()].Bar!));
            _attacks[stage] = tally;
        }

        return tally;
    }

    private void Show(AttackProgress progress)
    {
        if (_last is { Attack: not null } previous && previous.Stage != progress.Stage)
        {
            // The plan's next attack started on this batch: the previous one is done with all of its images.
            Tally(previous.Stage, previous.Attack).Close(previous.StageImages);
            if (!_interactive)
            {
                string next = progress.Attack is string attack ? string.Create(CultureInfo.InvariantCulture, $"; now {attack} ({progress.Stage + 1} of {progress.Stages}) on the {progress.StageImages} not fooled yet") : string.Empty;
                _errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{previous.Attack} done on {previous.StageImages} images{next}"));
            }
        }

        _last = progress;
        _stages = progress.Stages;
        _batchQueries = progress.Queries;
        if (progress.Attack is not null)
        {
            Tally(progress.Stage, progress.Attack).Current(progress.StageImages, progress.StageDone);
        }

        Render();
    }

    private void Render()
    {
        TimeSpan now = _clock.Elapsed;
        long queries = _queriesBefore + _batchQueries;
        AttackProgress? p = _last;
        int finished = _doneBefore + (p is null ? 0 : p.ImagesFinished + (p.Stage == p.Stages - 1 ? p.StageDone : 0));
        string rate = Rate(queries, now);
        if (_interactive)
        {
            foreach ((int stage, AttackTally tally) in _attacks)
            {
                tally.Render(stage, _stages);
            }

            _overall!.Description = string.Create(CultureInfo.InvariantCulture, $"all images: {finished} of {_total}, {queries:N0} queries, {rate} queries/s");
            _overall.Value = finished;
            return;
        }

        bool final = finished >= _total;
        if (_finalPrinted || (!final && _lastPrinted is TimeSpan last && now - last < RedirectedInterval))
        {
            return;
        }

        _finalPrinted = final;
        _lastPrinted = now;
        string left = finished > 0 && finished < _total ? string.Create(CultureInfo.InvariantCulture, $", about {TimeSpan.FromSeconds(Math.Round(now.TotalSeconds / finished * (_total - finished))):g} left") : string.Empty;
        string attack = p?.Attack is string name ? string.Create(CultureInfo.InvariantCulture, $"{name} ({p.Stage + 1} of {p.Stages}): {p.StageDone} of {p.StageImages} images; ") : string.Empty;
        string margin = p?.LowestMargin is double m ? m.ToString("0.000", CultureInfo.InvariantCulture) : "-";
        _errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{finished}/{_total} images] {attack}{queries:N0} queries ({rate}/s), lowest margin {margin}, {now.TotalSeconds:0}s{left}"));
    }

    /// <summary>One attack of the plan, summed over the batches it ran on.</summary>
    private sealed class AttackTally(string name, ProgressTask? bar)
    {
        private int _imagesBefore;
        private int _images;
        private int _done;

        public ProgressTask? Bar { get; } = bar;

        public void Current(int images, int done) => (_images, _done) = (images, done);

        public void Close(int images)
        {
            _imagesBefore += images;
            (_images, _done) = (0, 0);
        }

        public void Render(int stage, int stages)
        {
            if (Bar is null)
            {
                return;
            }

            int images = _imagesBefore + _images, done = _imagesBefore + _done;
            Bar.MaxValue = Math.Max(1, images);
            Bar.Value = done;
            Bar.Description = string.Create(CultureInfo.InvariantCulture, $"{name} ({stage + 1} of {stages}): {done} of {images} images");
        }
    }

    private sealed class SyncProgress(ProgressDisplay owner) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => owner.Show(value);
    }
}

/// <summary>A download progress bar on standard error.</summary>
internal sealed class DownloadBar(TextWriter errors) : IProgress<DownloadProgress>
{
    private int _lastPercent = -1;

    public void Report(DownloadProgress value)
    {
        if (value.TotalBytes is long total && total > 0)
        {
            int percent = (int)(value.BytesReceived * 100 / total);
            if (percent != _lastPercent)
            {
                _lastPercent = percent;
                string bar = new string('#', percent / 4).PadRight(25, '.');
                errors.Write(string.Create(CultureInfo.InvariantCulture, $"\rDownloading model [{bar}] {percent,3}% of {total / 1048576.0:0.0} MiB"));
                if (percent == 100)
                {
                    errors.WriteLine();
                }
            }
        }
    }
}
