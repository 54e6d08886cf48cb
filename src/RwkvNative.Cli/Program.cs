using RwkvNative.Cli;

// rwkv-emb: the command-line contract of shared/docs/CLI.md. One file per command under Commands/.
return CliApp.Run(args);
