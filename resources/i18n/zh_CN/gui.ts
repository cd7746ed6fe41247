<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Model Studio</source>
        <translation>关于 Model Studio</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Model Studio {version}&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;Model Studio {version}&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>Train, compress, encrypt and audit language models on your own machine. Nothing leaves this computer.</source>
        <translation>在您自己的电脑上训练、压缩、加密和审计语言模型。任何数据都不会离开这台电脑。</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>Studio</source>
        <translation>Studio</translation>
    </message>
    <message>
        <source>Python</source>
        <translation>Python</translation>
    </message>
    <message>
        <source>Qt</source>
        <translation>Qt</translation>
    </message>
    <message>
        <source>{qt} (PySide6 {pyside})</source>
        <translation>{qt}（PySide6 {pyside}）</translation>
    </message>
    <message>
        <source>PyTorch</source>
        <translation>PyTorch</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>not available: {error}</source>
        <translation>不可用：{error}</translation>
    </message>
</context>
<context>
    <name>AccountController</name>
    <message>
        <source>Change password…</source>
        <translation>修改密码…</translation>
    </message>
    <message>
        <source>Lock now</source>
        <translation>立即锁定</translation>
    </message>
    <message>
        <source>Switch user…</source>
        <translation>切换用户…</translation>
    </message>
    <message>
        <source>Log out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Lock when idle</source>
        <translation>空闲时锁定</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>After {n} minutes</source>
        <translation>{n} 分钟后</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Model Studio cannot start</source>
        <translation>Model Studio 无法启动</translation>
    </message>
</context>
<context>
    <name>ChangePasswordDialog</name>
    <message>
        <source>Change password</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>Current password</source>
        <translation>当前密码</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>新密码</translation>
    </message>
    <message>
        <source>New password again</source>
        <translation>再次输入新密码</translation>
    </message>
    <message>
        <source>Only the wrapping of your key changes: everything shared with you stays readable.</source>
        <translation>只会重新封装您的密钥：共享给您的所有内容仍然可以读取。</translation>
    </message>
    <message>
        <source>The two new passwords differ.</source>
        <translation>两次输入的新密码不一致。</translation>
    </message>
    <message>
        <source>Password changed.</source>
        <translation>密码已修改。</translation>
    </message>
</context>
<context>
    <name>ColumnChoice</name>
    <message>
        <source>Default columns</source>
        <translation>默认列</translation>
    </message>
</context>
<context>
    <name>CompressionReport</name>
    <message>
        <source>original</source>
        <translation>原模型</translation>
    </message>
    <message>
        <source>float</source>
        <translation>浮点</translation>
    </message>
    <message>
        <source>prune</source>
        <translation>剪枝</translation>
    </message>
    <message>
        <source>structured</source>
        <translation>结构化</translation>
    </message>
    <message>
        <source>global</source>
        <translation>全局</translation>
    </message>
    <message>
        <source>recover</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>magnitude</source>
        <translation>幅值</translation>
    </message>
    <message>
        <source>act-order</source>
        <translation>按激活排序</translation>
    </message>
</context>
<context>
    <name>CrashReporter</name>
    <message>
        <source>Something went wrong</source>
        <translation>出错了</translation>
    </message>
    <message>
        <source>{error}

The details are in the log file:
{path}</source>
        <translation>{error}

详细信息见日志文件：
{path}</translation>
    </message>
</context>
<context>
    <name>LoginScreen</name>
    <message>
        <source>Confirm password</source>
        <translation>确认密码</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Create the first administrator</source>
        <translation>创建第一个管理员</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>This data folder has no users yet. The first account administers the others. The password needs at least 10 characters and must not be a common one.</source>
        <translation>此数据文件夹还没有用户。第一个账户将管理其他账户。密码至少需要 10 个字符，且不能是常见密码。</translation>
    </message>
    <message>
        <source>Sign in to open your models, datasets and runs. Their keys stay locked until then.</source>
        <translation>登录后才能打开您的模型、数据集和训练任务。在此之前，它们的密钥保持锁定。</translation>
    </message>
    <message>
        <source>Create administrator</source>
        <translation>创建管理员</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <source>Enter a user name and a password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Model Studio</source>
        <translation>Model Studio</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Show data folder</source>
        <translation>打开数据文件夹</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>&amp;Account</source>
        <translation>账户(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Show log folder</source>
        <translation>打开日志文件夹</translation>
    </message>
    <message>
        <source>Self-test…</source>
        <translation>自检…</translation>
    </message>
    <message>
        <source>&amp;About Model Studio</source>
        <translation>关于 Model Studio(&amp;A)</translation>
    </message>
    <message>
        <source>Data: {path}</source>
        <translation>数据：{path}</translation>
    </message>
    <message>
        <source>User: {name}</source>
        <translation>用户：{name}</translation>
    </message>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>Vault: unlocked</source>
        <translation>保险库：已解锁</translation>
    </message>
    <message>
        <source>Vault: locked</source>
        <translation>保险库：已锁定</translation>
    </message>
</context>
<context>
    <name>Objects</name>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>dataset</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>user</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>{name} ({type} {id})</source>
        <translation>{name}（{type} {id}）</translation>
    </message>
</context>
<context>
    <name>Panes</name>
    <message>
        <source>Datasets</source>
        <translation>数据集</translation>
    </message>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Compression</source>
        <translation>压缩</translation>
    </message>
    <message>
        <source>Vault</source>
        <translation>保险库</translation>
    </message>
    <message>
        <source>Serving</source>
        <translation>服务</translation>
    </message>
    <message>
        <source>Users &amp; Access</source>
        <translation>用户与权限</translation>
    </message>
    <message>
        <source>Audit log</source>
        <translation>审计日志</translation>
    </message>
</context>
<context>
    <name>SelfTestDialog</name>
    <message>
        <source>Self-test</source>
        <translation>自检</translation>
    </message>
    <message>
        <source>Running the self-test in a temporary data folder…</source>
        <translation>正在临时数据文件夹中运行自检…</translation>
    </message>
    <message>
        <source>Copy report</source>
        <translation>复制报告</translation>
    </message>
    <message>
        <source>The self-test could not run: {error}</source>
        <translation>无法运行自检：{error}</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>FAILED</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>skipped</source>
        <translation>跳过</translation>
    </message>
    <message>
        <source>Self-test passed.</source>
        <translation>自检通过。</translation>
    </message>
    <message>
        <source>Self-test FAILED: see the steps below.</source>
        <translation>自检失败：请查看下面的步骤。</translation>
    </message>
</context>
<context>
    <name>TaskProgress</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>{message}  (about {eta} left)</source>
        <translation>{message}（大约还剩 {eta}）</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>Units</name>
    <message>
        <source>{s} s</source>
        <translation>{s} 秒</translation>
    </message>
    <message>
        <source>{m} min {s:02d} s</source>
        <translation>{m} 分 {s:02d} 秒</translation>
    </message>
    <message>
        <source>{h} h {m:02d} min</source>
        <translation>{h} 小时 {m:02d} 分</translation>
    </message>
    <message>
        <source>{d} d {h} h</source>
        <translation>{d} 天 {h} 小时</translation>
    </message>
    <message>
        <source>{ms} ms</source>
        <translation>{ms} 毫秒</translation>
    </message>
</context>
</TS>
