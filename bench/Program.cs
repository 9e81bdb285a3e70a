using AttackBench;

const string Usage = """
    usage:
      bench speed   [--model PATH [--preset NAME]]... [--batches 1,8,32] [--seconds N] [--rounds R] [--provider auto|cpu|cuda]
      bench queries [--seeds 0-4] [--configs all|linf-0.05,linf-4/255,linf-2/255,l2-5]
                    [--quantization on-grid|after-success|both] [--max-queries 10000]
                    [--model PATH --preset NAME] [--images DIR] [--provider auto|cpu|cuda]
      bench attacks [--attacks square,simba-dct,bandits-td,...] [--configs linf-0.05,l2-5] [--max-queries 10000] [--max-minutes M]
                    [--seed 0] [--model PATH --preset NAME] [--images DIR] [--provider auto|cpu|cuda]
      bench gradients [--model PATH --preset NAME] [--batches 1,8,32] [--seconds 12] [--rounds 3] [--provider auto|cpu|cuda]
      bench hostile [--photo PATH] [--rounds 3] [--resize 342] [--crop 299]
      bench gray    [--data /usr/share/datasets/fashion-mnist] [--images 100] [--max-queries 1000] [--seed 0]
                    [--model models/fashion-mnist-cnn/model.json] [--provider auto|cpu|cuda]
      bench remote  [--max-queries 300] [--seed 0] [--rounds 3] [--concurrency 1,8]
      bench startup --tool 'COMMAND' [--tool 'COMMAND']... [--model models/fashion-mnist-cnn/model.json [--preset NAME]]
                    [--image samples/fashion-mnist/0000-ankle-boot.png] [--rounds 7]
      bench transfer [--configs linf-4/255,l2-5,linf-16/255] [--iterations 10] [--seed 0] [--variants MI-FGSM,...] [--images DIR] [--provider auto|cpu|cuda]
      bench gfcs    [--target SPEC [--target-preset NAME]] [--surrogate SPEC [--surrogate-preset NAME]]... [--images DIR] [--configs linf-0.1,l2-1.5]
                    [--attacks gfcs,square,simba-dct,gfcs:maxQueries=100>square] [--max-queries 10000] [--seed 0] [--provider auto|cpu|cuda]
      bench pipeline [--models fashion,mobilenet-v2] [--images 8] [--rounds 2] [--max-queries 300] [--eps E] [--seed 0] [--slice-queries 500]
                    [--activities 8] [--connection UseDevelopmentStorage=true]
      bench audit-scale [--images 1000,10000] [--max-queries 20] [--concurrency 32] [--chunk 500] [--connection UseDevelopmentStorage=true]
    Prints markdown tables to stdout. Build with -c Release before trusting any timing.
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

try
{
    return args[0] switch
    {
        "speed" => SpeedBench.Run(args[1..], Console.Out),
        "queries" => QueryBench.Run(args[1..], Console.Out),
        "attacks" => AttackBench.AttackBench.Run(args[1..], Console.Out),
        "gradients" => GradientBench.Run(args[1..], Console.Out),
        "hostile" => HostileBench.Run(args[1..], Console.Out),
        "gray" => GrayBench.Run(args[1..], Console.Out),
        "remote" => RemoteBench.Run(args[1..], Console.Out),
        "startup" => StartupBench.Run(args[1..], Console.Out),
        "load-model" => StartupBench.LoadModel(args[1..], Console.Out),
        "transfer" => TransferBench.Run(args[1..], Console.Out),
        "gfcs" => GfcsBench.Run(args[1..], Console.Out),
        "pipeline" => PipelineBench.Run(args[1..], Console.Out),
        "audit-scale" => AuditScaleBench.Run(args[1..], Console.Out),
        _ => throw new ArgumentException($"unknown command '{args[0]}'"),
    };
}
catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or AttackCore.Models.ModelSpecException or AttackCore.Gradients.GradientNotSupportedException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
