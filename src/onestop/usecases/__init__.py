"""The use cases: one room per bounded context, over the ports.

`onestop.usecases.mall.Mall` is the facade over applications; the courier desk lives in
`onestop.usecases.courier`, catalogue loading and publishing in `onestop.usecases.catalogue`.
"""
