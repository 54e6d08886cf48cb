# RwkvNative build entry point for Windows: ./build.ps1 <command>   (same commands as build.sh)
param([Parameter(Position = 0)][string]$Command = "help", [Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest = @())
$ErrorActionPreference = "Stop"
$Caller = (Get-Location).Path   # demo, run and bench run the CLI here, so the user's relative paths keep working
Set-Location $PSScriptRoot
$Config = if ($env:CONFIG) { $env:CONFIG } else { "Release" }
$env:DOTNET_CLI_TELEMETRY_OPTOUT = "1"; $env:DOTNET_NOLOGO = "1"
function Check { if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE } }
$cli = Join-Path $PSScriptRoot "src/RwkvNative.Cli/bin/$Config/net10.0/rwkv-emb.dll"
# Builds the CLI quietly; when the build fails, its error lines (or the whole log) go to stderr and the script stops.
function BuildCli {
  $log = dotnet build src/RwkvNative.Cli/RwkvNative.Cli.csproj -c $Config -v quiet -nologo 2>&1
  if ($LASTEXITCODE -ne 0) {
    $code = $LASTEXITCODE
    [Console]::Error.WriteLine("error: building the rwkv-emb CLI failed (dotnet build exit $code):")
    $errors = @($log | Where-Object { "$_" -match ': error ' } | Sort-Object -Unique)
    if ($errors.Count -eq 0) { $errors = $log }
    $errors | ForEach-Object { [Console]::Error.WriteLine("$_") }
    exit $code
  }
  Set-Location $Caller
}
switch ($Command) {
  "restore" { dotnet restore RwkvNative.sln; Check }
  "build"   { dotnet build RwkvNative.sln -c $Config; Check }
  "test" {
    dotnet build tests/RwkvNative.Tests/RwkvNative.Tests.csproj -c $Config; Check
    New-Item -ItemType Directory -Force artifacts/test-results | Out-Null
    & "tests/RwkvNative.Tests/bin/$Config/net10.0/RwkvNative.Tests.exe" -noColor -result-trx artifacts/test-results/tests.trx @Rest; exit $LASTEXITCODE
  }
  "demo" { BuildCli; dotnet $cli demo @Rest; exit $LASTEXITCODE }
  "run"  { BuildCli; dotnet $cli @Rest; exit $LASTEXITCODE }
  "bench" { BuildCli; dotnet $cli bench @Rest; exit $LASTEXITCODE }
  "publish" {
    $rid = if ($Rest.Count -gt 0) { $Rest[0] } else { "win-x64" }
    # NativeAOT fixes the vector width at compile time: without an instruction set the SIMD paths fall back to 128 bits.
    $isa = if ($Rest.Count -gt 1) { $Rest[1] } elseif ($rid -like "*-x64") { "x86-64-v3" } else { "" }
    $isaArg = if ($isa) { "-p:IlcInstructionSet=$isa" } else { "" }
    dotnet publish src/RwkvNative.Cli/RwkvNative.Cli.csproj -c Release -r $rid -p:PublishAot=true $isaArg -o "artifacts/publish/$rid"; Check
  }
  "native" { cmake -S . -B native/build -DCMAKE_BUILD_TYPE=Release; Check; cmake --build native/build --config Release; Check }
  default { Write-Output "usage: ./build.ps1 restore|build|test|demo|run|publish [rid]|native|bench" }
}
