# Pester tests of Save-KernelSpecResource, against the BUILT module (out/JupyterKernels) in isolated Jupyter dirs and store (TestSupport.psm1).
# Run: dotnet pwsh -NoProfile -File tests/Pester/Invoke-PesterSuite.ps1 -Path tests/Pester/Save-KernelSpecResource.Tests.ps1

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Initialize-TestEnvironment
}

AfterAll { Clear-TestEnvironment }

Describe 'Save-KernelSpecResource' -Tag 'CI' {
    It 'saves the logos of a kernelspec' {
        $files = Save-KernelSpecResource -Name python3 -Path (Join-Path $TestDrive 'logos')
        $files.Name | Should -Contain 'logo-64x64.png'
    }

    It 'lists the files as Get-Item does: a Directory header (the spec''s own folder) and mode, owner and size filled in' {
        $dest = Join-Path $TestDrive 'listed'
        $files = Save-KernelSpecResource -Name python3 -Path $dest
        $files[0] | Should -BeOfType ([System.IO.FileInfo])
        $files[0].PSParentPath | Should -Not -BeNullOrEmpty
        $text = $files | Out-String -Width 80
        $text | Should -Match ('Directory: ' + [regex]::Escape((Join-Path $dest 'python3')))
        $lines = $text -split "`n"
        foreach ($file in $files) {
            # Mode, owner and size: the columns a bare FileInfo left empty.
            $row = $lines | Where-Object { $_.TrimEnd().EndsWith(' ' + $file.Name) }
            $row | Should -Match ('^[-rwx]{10}\s+\S+\s+\S+\s+.+\s' + $file.Length + ' ' + [regex]::Escape($file.Name) + '\s*$')
        }
    }

    It 'says in its help example where the files go (a folder per spec)' {
        $example = (Get-Help Save-KernelSpecResource -Examples).examples.example[0]
        $example.code | Should -Match '-Path ./logos'
        ($example.remarks.Text -join ' ') | Should -Match '\./logos/python3'
    }

    Context 'defects found in use' {
        BeforeAll {
            # A second spec whose logo differs from python3's.
            $other = Join-Path $env:JUPYTER_DATA_DIR 'kernels' 'other3'
            $null = New-Item -ItemType Directory -Force -Path $other
            Copy-Item (Join-Path $env:JUPYTER_DATA_DIR 'kernels' 'python3' 'kernel.json') $other
            [IO.File]::WriteAllBytes((Join-Path $other 'logo-64x64.png'), [byte[]](1, 2, 3, 4))
        }

        It 'several specs are saved side by side, one folder each, none overwritten' {
            $dest = Join-Path $TestDrive 'many'
            $files = 'python3', 'other3' | Save-KernelSpecResource -Path $dest
            $python = Join-Path $dest 'python3' 'logo-64x64.png'
            $other = Join-Path $dest 'other3' 'logo-64x64.png'
            $files.FullName | Should -Contain $python
            $files.FullName | Should -Contain $other
            (Get-FileHash $python).Hash | Should -Be (Get-FileHash (Join-Path $env:JUPYTER_DATA_DIR 'kernels' 'python3' 'logo-64x64.png')).Hash
            [IO.File]::ReadAllBytes($other) | Should -Be ([byte[]](1, 2, 3, 4))
        }

        It 'a file as -Path is a ResourcePathInvalid error, not UnexpectedError' {
            $file = Join-Path $TestDrive 'a-file.txt'
            Set-Content -LiteralPath $file -Value 'x'
            $err = $null
            try { Save-KernelSpecResource -Name python3 -Path $file -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'ResourcePathInvalid,JupyterKernels.Cmdlets.SaveKernelSpecResourceCommand'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $err.TargetObject | Should -Be $file
        }
    }
}
