// counted passes every call through to the data provider unchanged and
// counts them by method in window.dataProviderCalls, so that the browser
// test can tell which of the provider's methods the pages used.
export function counted(provider) {
  const calls = (window.dataProviderCalls = {});
  return new Proxy(provider, {
    get(target, name) {
      const v = target[name];
      if (typeof v !== "function") return v;
      return (...args) => {
        calls[name] = (calls[name] || 0) + 1;
        return v.apply(target, args);
      };
    },
  });
}
