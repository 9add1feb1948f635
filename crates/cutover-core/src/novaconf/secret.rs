/*!
Hiding secrets in what cutover shows: the password of a URL's
`user:password@`, and the value of any key named like a secret
(`rabbit_password`, `admin_token`, `metadata_proxy_shared_secret`, ...).
The rendered file keeps them; diffs, errors and logs never show them.
*/

const MASK: &str = "***";

/// `text` with the password of every `scheme://user:password@host` hidden
/// (each host of a multi-host URL such as `rabbit://u:p@h1,u:p@h2/`).
pub fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        let (head, tail) = rest.split_at(found + 3);
        out.push_str(head);
        let end = tail.find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace()).unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        let hosts: Vec<String> = authority.split(',').map(mask_userinfo).collect();
        out.push_str(&hosts.join(","));
        rest = after;
    }
    out.push_str(rest);
    out
}

fn mask_userinfo(host: &str) -> String {
    match host.rsplit_once('@') {
        Some((userinfo, at)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:{MASK}@{at}"),
            None => host.to_string(),
        },
        None => host.to_string(),
    }
}

/// Whether a key names a secret.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token", "passwd"].iter().any(|word| key.contains(word))
}

/// One line of a config file as it may be shown: a secret key's value
/// (also in a commented-out line) replaced by `***`, URL passwords hidden.
pub fn mask_line(line: &str) -> String {
    let body = line.trim_start_matches(['#', ';', ' ', '\t']);
    if let Some(sep) = body.find([':', '=']) {
        let key = body[..sep].trim();
        let value = body[sep + 1..].trim();
        if !key.contains(char::is_whitespace) && is_secret_key(key) && !value.is_empty() && value != "<None>" {
            let offset = line.len() - body.len() + sep + 1;
            let spaces = body[sep + 1..].len() - body[sep + 1..].trim_start().len();
            let end = line.trim_end().len();
            return format!("{}{MASK}{}", &line[..offset + spaces], &line[end..]);
        }
    }
    mask_url_passwords(line)
}
