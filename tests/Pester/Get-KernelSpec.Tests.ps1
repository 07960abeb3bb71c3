# Pester tests of Get-KernelSpec, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Get-KernelSpec.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Get-KernelSpec' -Tag 'CI' {
    It 'lists the python3 kernelspec' {
        $specs = Get-KernelSpec
        $specs.Name | Should -Contain 'python3'
        ($specs | Where-Object Name -EQ 'python3').Language | Should -Be 'python'
    }

    It 'reports an unknown spec with KernelSpecNotFound' {
        { Get-KernelSpec -Name 'no-such-spec' -ErrorAction Stop } |
            Should -Throw -ErrorId 'KernelSpecNotFound,JupyterKernels.Cmdlets.GetKernelSpecCommand'
    }

    Context 'defects found in use' {
        BeforeAll {
            # A "server" that accepts connections (the listen backlog does) and never answers.
            $script:hang = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $script:hang.Start()
            Register-KernelProvider -Name 'hanging' -Url "http://127.0.0.1:$($script:hang.LocalEndpoint.Port)" -TokenEnvironmentVariable 'JK_PESTER_HANG' -WarningAction SilentlyContinue
        }
        AfterAll {
            Unregister-KernelProvider -Name 'hanging' -Confirm:$false -ErrorAction SilentlyContinue
            $script:hang.Stop()
        }

        It 'completion answers within its budget with the local specs despite a hanging provider' {
            $started = [datetime]::UtcNow
            $result = TabExpansion2 -inputScript 'Start-Kernel -Name py' -cursorColumn 'Start-Kernel -Name py'.Length
            $elapsed = ([datetime]::UtcNow - $started).TotalSeconds
            $result.CompletionMatches.CompletionText | Should -Contain 'python3'
            $elapsed | Should -BeLessThan 10
        }

        It 'Get-KernelSpec lists local specs and warns about the hanging provider, bounded' {
            $started = [datetime]::UtcNow
            $specs = Get-KernelSpec -WarningVariable warns -WarningAction SilentlyContinue
            $elapsed = ([datetime]::UtcNow - $started).TotalSeconds
            $specs.Name | Should -Contain 'python3'
            @($warns | Where-Object { "$_" -match "hanging" -and "$_" -match 'ProviderTimeout' }).Count | Should -Be 1
            # The default budget is 10 s; the provider's own request timeout (42 s) is not waited for.
            $elapsed | Should -BeLessThan 30
        }

        It 'Get-KernelSpec -Name of a local spec asks only the local provider' {
            $started = [datetime]::UtcNow
            $spec = Get-KernelSpec -Name 'python3' -WarningVariable warns -WarningAction SilentlyContinue
            $elapsed = ([datetime]::UtcNow - $started).TotalSeconds
            $spec.Name | Should -Be 'python3'
            # Asking the hanging provider would cost the whole listing budget (10 s) and warn about it.
            @($warns | Where-Object { "$_" -match 'hanging' }).Count | Should -Be 0
            $elapsed | Should -BeLessThan 10
        }
    }
}

Describe 'Get-KernelSpec view' -Tag 'CI', 'Views' {
    It 'is a table with every column at 120 and at 80 columns' {
        foreach ($width in 120, 80) {
            Test-TableView (Get-KernelSpec) -Column 'Name', 'DisplayName', 'Language', 'Provider' -Width $width -RowValue { $args[0].Name; $args[0].Provider } |
                Should -BeNullOrEmpty
        }
    }
}
