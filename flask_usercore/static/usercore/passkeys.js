/* The passkey ceremonies of the account pages (docs/pages.md): the one script they load,
   served from our origin (the pages' Content-Security-Policy allows no inline script).

   A form with data-passkey="sign-in", "second-factor" or "create" is hidden until this
   script finds WebAuthn in the browser; then the paragraph [data-passkey-unsupported] goes.
   Sending the form asks for the options (sign-in, second-factor: a POST of JSON to
   data-options-url; create: the JSON of data-options, made by the page before), asks the
   browser for the passkey, puts its answer (PublicKeyCredential as JSON) into the hidden
   field [data-passkey-credential] and sends the form to the server, which checks it. When
   the browser gives nothing, data-failed is shown in [data-passkey-status]. */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, {id: toBytes(item.id)});
    });
  }

  /* The JSON options as the browser wants them (parse...FromJSON where it has them). */
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, {id: toBytes(json.user.id)}),
      excludeCredentials: withIds(json.excludeCredentials)});
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {challenge: toBytes(json.challenge),
                                    allowCredentials: withIds(json.allowCredentials)});
  }

  /* The credential as JSON (its toJSON() where the browser has it). */
  function asJSON(credential) {
    if (typeof credential.toJSON === "function") { return credential.toJSON(); }
    var answer = credential.response, response = {clientDataJSON: toText(answer.clientDataJSON)};
    if (answer.attestationObject) {
      response.attestationObject = toText(answer.attestationObject);
      if (answer.getTransports) { response.transports = answer.getTransports(); }
    } else {
      response.authenticatorData = toText(answer.authenticatorData);
      response.signature = toText(answer.signature);
      if (answer.userHandle) { response.userHandle = toText(answer.userHandle); }
    }
    return {id: credential.id, rawId: toText(credential.rawId), type: credential.type,
            response: response, clientExtensionResults: credential.getClientExtensionResults(),
            authenticatorAttachment: credential.authenticatorAttachment || undefined};
  }

  function postJSON(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json"},
                       body: JSON.stringify(body)})
      .then(function (response) {
        if (!response.ok) { throw new Error("options refused: " + response.status); }
        return response.json();
      });
  }

  function valueOf(id) {
    var element = id ? document.getElementById(id) : null;
    return element ? element.value : "";
  }

  function ceremony(form) {
    var kind = form.getAttribute("data-passkey");
    if (kind === "create") {
      var options = JSON.parse(form.getAttribute("data-options"));
      return navigator.credentials.create({publicKey: creationOptions(options.publicKey || options)});
    }
    var body = {};
    if (kind === "second-factor") {
      body = {email: valueOf(form.getAttribute("data-email-from")),
              password: valueOf(form.getAttribute("data-password-from"))};
      if (!body.email || !body.password) {  /* the first factor goes with the passkey */
        document.getElementById(form.getAttribute("data-password-from")).focus();
        return Promise.reject(new Error("the password is missing"));
      }
      form.querySelector("[data-passkey-email]").value = body.email;
      form.querySelector("[data-passkey-password]").value = body.password;
    }
    return postJSON(form.getAttribute("data-options-url"), body).then(function (answer) {
      return navigator.credentials.get({publicKey: requestOptions(answer.publicKey)});
    });
  }

  function start(form) {
    var status = form.querySelector("[data-passkey-status]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (status) { status.textContent = ""; }
      button.disabled = true;
      ceremony(form).then(function (credential) {
        if (!credential) { throw new Error("no credential"); }
        form.querySelector("[data-passkey-credential]").value = JSON.stringify(asJSON(credential));
        form.submit();
      }).catch(function () {
        button.disabled = false;
        if (status) { status.textContent = form.getAttribute("data-failed") || ""; }
      });
    });
    form.hidden = false;
  }

  function init() {
    if (!(window.PublicKeyCredential && navigator.credentials && window.fetch)) { return; }
    var forms = document.querySelectorAll("form[data-passkey]");
    for (var i = 0; i < forms.length; i += 1) { start(forms[i]); }
    var notes = document.querySelectorAll("[data-passkey-unsupported]");
    for (var j = 0; j < notes.length; j += 1) { notes[j].hidden = true; }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
