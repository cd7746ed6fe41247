<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AddGrantDialog</name>
    <message>
        <source>Add a grant</source>
        <translation>添加授权</translation>
    </message>
    <message>
        <source>{name} ({role})</source>
        <translation>{name}（{role}）</translation>
    </message>
    <message>
        <source>use: load, read, generate, train on</source>
        <translation>使用：加载、读取、生成、用于训练</translation>
    </message>
    <message>
        <source>export: also write plaintext weights</source>
        <translation>导出：还可写出明文权重</translation>
    </message>
    <message>
        <source>manage: also rename, delete and grant to others</source>
        <translation>管理：还可重命名、删除并授权给他人</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Model or dataset</source>
        <translation>模型或数据集</translation>
    </message>
    <message>
        <source>There is no model or dataset you may share.</source>
        <translation>没有你可以共享的模型或数据集。</translation>
    </message>
    <message>
        <source>Grant</source>
        <translation>授权</translation>
    </message>
    <message>
        <source>Choose the user.</source>
        <translation>请选择用户。</translation>
    </message>
    <message>
        <source>Choose the model or dataset.</source>
        <translation>请选择模型或数据集。</translation>
    </message>
    <message>
        <source>Permission</source>
        <translation>权限</translation>
    </message>
</context>
<context>
    <name>KeysBox</name>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Requests/min</source>
        <translation>请求/分钟</translation>
    </message>
    <message>
        <source>Created (UTC)</source>
        <translation>创建时间（UTC）</translation>
    </message>
    <message>
        <source>Expires (UTC)</source>
        <translation>过期时间（UTC）</translation>
    </message>
    <message>
        <source>never</source>
        <translation>永不</translation>
    </message>
    <message>
        <source>New key…</source>
        <translation>新建密钥…</translation>
    </message>
    <message>
        <source>Revoke key</source>
        <translation>吊销密钥</translation>
    </message>
    <message>
        <source>API keys (for the Serving pane and studio serve)</source>
        <translation>API 密钥（用于服务面板和 studio serve）</translation>
    </message>
    <message>
        <source>active</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>已吊销</translation>
    </message>
    <message>
        <source>void (password reset)</source>
        <translation>失效（密码已重置）</translation>
    </message>
    <message>
        <source>TAMPERED</source>
        <translation>已被篡改</translation>
    </message>
    <message>
        <source>unverified</source>
        <translation>未验证</translation>
    </message>
    <message>
        <source>Revoke the key?</source>
        <translation>吊销该密钥？</translation>
    </message>
    <message>
        <source>Requests with the key &quot;{name}&quot; ({prefix}…) will be refused from now on.</source>
        <translation>从现在起，使用密钥“{name}”（{prefix}…）的请求将被拒绝。</translation>
    </message>
    <message>
        <source>Revoked the key &quot;{name}&quot;.</source>
        <translation>已吊销密钥“{name}”。</translation>
    </message>
</context>
<context>
    <name>NewKeyDialog</name>
    <message>
        <source>New API key</source>
        <translation>新建 API 密钥</translation>
    </message>
    <message>
        <source>what it is for, e.g. laptop</source>
        <translation>用途，例如 笔记本电脑</translation>
    </message>
    <message>
        <source>never</source>
        <translation>永不</translation>
    </message>
    <message>
        <source>in 7 days</source>
        <translation>7 天后</translation>
    </message>
    <message>
        <source>in 30 days</source>
        <translation>30 天后</translation>
    </message>
    <message>
        <source>in 90 days</source>
        <translation>90 天后</translation>
    </message>
    <message>
        <source>in a year</source>
        <translation>一年后</translation>
    </message>
    <message>
        <source> requests a minute</source>
        <translation> 次请求/分钟</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>过期</translation>
    </message>
    <message>
        <source>Rate limit</source>
        <translation>速率限制</translation>
    </message>
</context>
<context>
    <name>NewUserDialog</name>
    <message>
        <source>New user</source>
        <translation>新建用户</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Password again</source>
        <translation>再次输入密码</translation>
    </message>
    <message>
        <source>At least 10 characters, not a common password. Tell the user in person; they can change it from the Account menu.</source>
        <translation>至少 10 个字符，不能是常见密码。请当面告知用户；用户可以在“账户”菜单中修改密码。</translation>
    </message>
    <message>
        <source>Enter a user name.</source>
        <translation>请输入用户名。</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>ResetPasswordDialog</name>
    <message>
        <source>Reset the password of {name}</source>
        <translation>重置 {name} 的密码</translation>
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
        <source>You cannot open {name}&apos;s keys, so the reset gives {name} new ones: what was shared with {name} can no longer be opened, and {name}&apos;s grants are revoked. Whoever holds those models and datasets must grant them again. {name} must choose a new password at the next login.</source>
        <translation>您无法打开 {name} 的密钥，因此重置会为 {name} 生成新的密钥：之前共享给 {name} 的内容将无法再打开，{name} 的授权也会被撤销。持有这些模型和数据集的人需要重新授权。{name} 下次登录时必须设置新密码。</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>ShowKeyDialog</name>
    <message>
        <source>Your new API key</source>
        <translation>你的新 API 密钥</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>This is the only time the key &quot;{name}&quot; is shown: copy it now and keep it somewhere safe. Clients send it as the API key (Authorization: Bearer …).</source>
        <translation>密钥“{name}”只显示这一次：请立即复制并妥善保管。客户端把它作为 API 密钥发送（Authorization: Bearer …）。</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
</context>
<context>
    <name>UsersPane</name>
    <message>
        <source>Users &amp; Access</source>
        <translation>用户与权限</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Last login (UTC)</source>
        <translation>上次登录 (UTC)</translation>
    </message>
    <message>
        <source>Failed logins</source>
        <translation>登录失败次数</translation>
    </message>
    <message>
        <source>New user…</source>
        <translation>新建用户…</translation>
    </message>
    <message>
        <source>Disable</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Reset password…</source>
        <translation>重置密码…</translation>
    </message>
    <message>
        <source>Change role…</source>
        <translation>更改角色…</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Object</source>
        <translation>对象</translation>
    </message>
    <message>
        <source>Permission</source>
        <translation>权限</translation>
    </message>
    <message>
        <source>Granted (UTC)</source>
        <translation>授权时间 (UTC)</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <source>Model or dataset</source>
        <translation>模型或数据集</translation>
    </message>
    <message>
        <source>Grants of the selected user</source>
        <translation>所选用户的授权</translation>
    </message>
    <message>
        <source>Grants on an object</source>
        <translation>对象上的授权</translation>
    </message>
    <message>
        <source>Add grant…</source>
        <translation>添加授权…</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Grants</source>
        <translation>授权</translation>
    </message>
    <message>
        <source>use</source>
        <translation>使用</translation>
    </message>
    <message>
        <source>export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>manage</source>
        <translation>管理</translation>
    </message>
    <message>
        <source>active</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>Only administrators manage users. These are your grants.</source>
        <translation>只有管理员可以管理用户。以下是您的授权。</translation>
    </message>
    <message>
        <source>My grants</source>
        <translation>我的授权</translation>
    </message>
    <message>
        <source>Enable</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Created {name}.</source>
        <translation>已创建 {name}。</translation>
    </message>
    <message>
        <source>Enabled {name}.</source>
        <translation>已启用 {name}。</translation>
    </message>
    <message>
        <source>Disabled {name}.</source>
        <translation>已停用 {name}。</translation>
    </message>
    <message>
        <source>Unlocked {name}.</source>
        <translation>已解锁 {name}。</translation>
    </message>
    <message>
        <source>Reset the password of {name}; their grants were revoked.</source>
        <translation>已重置 {name} 的密码；其授权已被撤销。</translation>
    </message>
    <message>
        <source>Change role</source>
        <translation>更改角色</translation>
    </message>
    <message>
        <source>Role of {name}</source>
        <translation>{name} 的角色</translation>
    </message>
    <message>
        <source>{name} is now {role}.</source>
        <translation>{name} 现在的角色是 {role}。</translation>
    </message>
    <message>
        <source>Granted {permission} on {object} to {user}.</source>
        <translation>已将 {object} 的“{permission}”权限授予 {user}。</translation>
    </message>
    <message>
        <source>Revoked.</source>
        <translation>已撤销。</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>trainer</source>
        <translation>训练者</translation>
    </message>
    <message>
        <source>viewer</source>
        <translation>查看者</translation>
    </message>
</context>
</TS>
