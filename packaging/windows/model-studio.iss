; Inno Setup script for Model Studio on Windows (per-user install, no administrator rights).
; Build on Windows after `make package` (or the pyinstaller command in docs/packaging.md) produced
; dist\model-studio:   iscc /DAppVersion=0.1.0 packaging\windows\model-studio.iss
; The version is passed in from studio/__init__.py by the build (see docs/packaging.md).

#ifndef AppVersion
  #error Pass /DAppVersion=X.Y.Z (the value of studio.__version__)
#endif

[Setup]
AppId={{8B6E2B7C-3C1F-4C55-9E2A-6E8C0D5B7A11}
AppName=Model Studio
AppVersion={#AppVersion}
AppPublisher=Model Studio developers
DefaultDirName={localappdata}\Programs\Model Studio
DefaultGroupName=Model Studio
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=model-studio-{#AppVersion}-setup
Compression=lzma2/fast
SolidCompression=no
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\studio.exe
SetupIconFile=..\..\dist\icons\studio.ico
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Files]
Source: "..\..\dist\model-studio\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\Model Studio"; Filename: "{app}\studio.exe"
Name: "{group}\Uninstall Model Studio"; Filename: "{uninstallexe}"
Name: "{userdesktop}\Model Studio"; Filename: "{app}\studio.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\studio.exe"; Description: "{cm:LaunchProgram,Model Studio}"; Flags: nowait postinstall skipifsilent

[Code]
// Upgrades keep the data folder. Uninstall asks before removing it (it holds encrypted models and
// the audit log); the default answer keeps it.
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\ModelStudio');
    if DirExists(DataDir) then
      if MsgBox('Also delete your Model Studio data folder?' #13#10 + DataDir + #13#10#13#10 +
                'It holds your encrypted models, datasets, runs and the audit log. This cannot be undone.',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
